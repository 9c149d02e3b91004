using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Recovery.Pitr;

namespace Backstop.Recovery.Repair;

/// <summary>
/// A repair source as the user named it. Prefixes are read first, then environment names, so an environment cannot
/// hide <c>backup:</c> or <c>pitr:</c>; <see cref="Value"/> is what follows the prefix (the whole text for a name or URL).
/// </summary>
internal sealed record RepairSourceSpec(RepairSourceKind Kind, string Value)
{
    public const string BackupPrefix = "backup:";
    public const string PitrPrefix = "pitr:";

    /// <summary>After <see cref="PitrPrefix"/>: a WAL location instead of a time, <c>pitr:lsn:0/1A2B3C4</c>, replayed
    /// up to and including it, or up to just before it with <see cref="ExclusiveSuffix"/>.</summary>
    public const string LsnPrefix = "lsn:";

    public const string ExclusiveSuffix = ":exclusive";

    public static RepairSourceSpec Parse(string text, IEnumerable<string> environments)
    {
        if (text.StartsWith(BackupPrefix, StringComparison.Ordinal))
        {
            return new(RepairSourceKind.Backup, text[BackupPrefix.Length..]);
        }

        if (text.StartsWith(PitrPrefix, StringComparison.Ordinal))
        {
            return new(RepairSourceKind.Pitr, text[PitrPrefix.Length..]);
        }

        if (environments.Contains(text, StringComparer.Ordinal))
        {
            return new(RepairSourceKind.Environment, text);
        }

        return text.StartsWith(EnvironmentConnector.VariablePrefix, StringComparison.Ordinal)
            ? new(RepairSourceKind.Variable, text[EnvironmentConnector.VariablePrefix.Length..])
            : new(RepairSourceKind.Url, text);
    }

    /// <summary>
    /// <c>--from</c> and <c>--after</c> as given, or for <c>--incident-at</c> the two point-in-time clones it stands for:
    /// the moment of the mistake, and <paramref name="window"/> later, when it had committed.
    /// </summary>
    /// <exception cref="RepairUsageException">no source at all, both ways at once, or a time or window that does not parse.</exception>
    public static (string From, string? After) Sources(string? from, string? after, string? incidentAt, string? window, TimeZoneInfo zone, DateTimeOffset now)
    {
        if (incidentAt is null)
        {
            return (from ?? throw new RepairUsageException("say where the right values are: --from URL|backup:ID|pitr:TIME, or --incident-at TIME"), after);
        }

        if (from is not null || after is not null)
        {
            throw new RepairUsageException("--incident-at makes both sources from point-in-time clones; give it without --from and --after");
        }

        window ??= "10s";
        if (!Durations.TryParse(window, out var span) || span <= TimeSpan.Zero)
        {
            throw new RepairUsageException($"--incident-window '{window}' is not a duration; use e.g. 10s or 2m");
        }

        var at = IncidentTime(incidentAt, zone, now);
        return (PitrPrefix + RecoveryTarget.Format(at), PitrPrefix + RecoveryTarget.Format(at + span));
    }

    /// <summary><c>--incident-at</c> as a time (<see cref="RecoveryTarget.Parse"/>).</summary>
    /// <exception cref="RepairUsageException">it is not a time.</exception>
    public static DateTimeOffset IncidentTime(string incidentAt, TimeZoneInfo zone, DateTimeOffset now)
    {
        try
        {
            return RecoveryTarget.Parse(incidentAt, zone, now);
        }
        catch (PitrException e)
        {
            throw new RepairUsageException(e.Message);
        }
    }
}
