using Backstop.Core.Policies;

namespace Backstop.Core.Configuration;

/// <summary>backstop.yaml, validated.</summary>
public sealed record BackstopConfig
{
    /// <summary>Absolute path of the file.</summary>
    public required string Path { get; init; }

    public required IReadOnlyList<EnvironmentConfig> Environments { get; init; }

    public required IReadOnlyDictionary<Tier, TierPolicy> Policies { get; init; }

    /// <summary>
    /// Where changes and backups are recorded: a <c>postgresql://</c> URL without a password, or <c>env:VARNAME</c> to
    /// read one from the environment at use; null for the SQLite file in <see cref="StateDirectory"/>
    /// (<see cref="State.StateLocation"/>).
    /// </summary>
    public string? State { get; init; }

    /// <summary>The <c>server:</c> section: null when there is none (the server then uses <see cref="ServerSettings.Default"/>).</summary>
    public ServerSettings? Server { get; init; }

    /// <summary>The <c>notifications:</c> section: null when there is none (no webhooks).</summary>
    public NotificationSettings? Notifications { get; init; }

    /// <summary>A path from the file, absolute or relative to the file's directory, made absolute.</summary>
    public string Resolve(string path) => System.IO.Path.GetFullPath(path, System.IO.Path.GetDirectoryName(Path)!);

    /// <summary><c>.backstop/</c> beside the file: the SQLite state file (unless <see cref="State"/> says otherwise) and backups.</summary>
    public string StateDirectory => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, ".backstop");

    /// <exception cref="ConfigException">no such environment; the message lists the known ones.</exception>
    public EnvironmentConfig Environment(string name)
    {
        var found = Environments.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));
        if (found is not null)
        {
            return found;
        }

        var known = Environments.Count == 0
            ? "none is defined yet; add one with `backstop env add NAME --url URL --tier production|staging|development`"
            : "known: " + string.Join(", ", Environments.Select(e => e.Name));
        throw new ConfigException($"unknown environment '{name}' in {Path}; {known}");
    }
}
