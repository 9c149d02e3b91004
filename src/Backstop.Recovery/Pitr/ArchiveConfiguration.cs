using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Turns on WAL archiving into pgBackRest with ALTER SYSTEM (docs: "Continuous Archiving and Point-in-Time Recovery
/// → Setting Up WAL Archiving"): <c>archive_mode = on</c> (takes effect at server start) and <c>archive_command</c>
/// (takes effect at a reload), and <c>wal_level = replica</c> when it is <c>minimal</c>. And <c>archive_timeout</c>
/// (at a reload): without it, a quiet server archives a segment only when 16 MB of WAL have filled it, so the latest
/// writes may sit in pg_wal for hours, out of reach of a clone made after the server is lost (docs: "Server
/// Configuration → Write Ahead Log → Archiving").
/// </summary>
internal static class ArchiveConfiguration
{
    /// <summary>At most this long between a write and its segment's archiving; a lower archive_timeout already set is kept.</summary>
    public const int ArchiveTimeoutSeconds = 60;

    /// <summary>The settings to change, each with why; empty when archiving is already set up this way.</summary>
    public static IReadOnlyList<(string Name, string Value, string Why)> Plan(string environment, ServerSettings settings, string archiveCommand)
    {
        if (settings.ArchiveLibrary.Length > 0)
        {
            throw new PitrException(
                $"environment '{environment}' already archives WAL through archive_library '{settings.ArchiveLibrary}'; Backstop will not replace another archiver. " +
                "If pgBackRest should take over, remove it first (ALTER SYSTEM RESET archive_library), then run this again",
                isUsageError: true);
        }

        var existing = settings.FileValues.GetValueOrDefault("archive_command", settings.ArchiveCommand);
        if (existing.Length > 0 && existing != "(disabled)" && existing != archiveCommand)
        {
            throw new PitrException(
                $"environment '{environment}' already archives WAL with archive_command '{existing}'; Backstop will not replace another archiver. " +
                "If pgBackRest should take over, remove it first (ALTER SYSTEM RESET archive_command, or delete the line from postgresql.conf and reload), then run this again",
                isUsageError: true);
        }

        // A value already in the files (set by an earlier run, waiting for a restart) is not set again.
        string Pending(string name, string running) => settings.FileValues.TryGetValue(name, out var file) ? file : running;
        var plan = new List<(string, string, string)>();
        if (Pending("wal_level", settings.WalLevel) == "minimal")
        {
            plan.Add(("wal_level", "replica", "archiving needs more WAL than the minimal level (at restart)"));
        }

        if (Pending("archive_mode", settings.ArchiveMode) is not ("on" or "always"))
        {
            plan.Add(("archive_mode", "on", "the server hands each finished WAL segment to archive_command (at restart)"));
        }

        if (Pending("archive_command", settings.ArchiveCommand) != archiveCommand)
        {
            plan.Add(("archive_command", archiveCommand, "pgBackRest stores each WAL segment in the repository (at reload)"));
        }

        // archive_timeout applies at a reload, so the running value is the one that counts.
        if (settings.ArchiveTimeoutSeconds is 0 or > ArchiveTimeoutSeconds)
        {
            plan.Add(("archive_timeout", $"{ArchiveTimeoutSeconds}s", $"a WAL segment is archived at least every {ArchiveTimeoutSeconds} s, even when little is written, so recent writes reach the repository (at reload)"));
        }

        return plan;
    }

    /// <summary>The lines to add to postgresql.conf by hand, for a role that may not run ALTER SYSTEM.</summary>
    public static string ManualLines(IReadOnlyList<(string Name, string Value, string Why)> plan) =>
        string.Join('\n', plan.Select(p => $"    {p.Name} = {PgLiteral.Quote(p.Value)}"));

    /// <summary>ALTER SYSTEM for each setting of the plan, then a reload.</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, IReadOnlyList<(string Name, string Value, string Why)> plan, Action<string> changed, CancellationToken cancellationToken)
    {
        foreach (var (name, value, why) in plan)
        {
            // ALTER SYSTEM takes no parameters: the value is a quoted literal, the name one of ours.
            await using var alter = new NpgsqlCommand($"ALTER SYSTEM SET {name} = {PgLiteral.Quote(value)}", connection);
            await alter.ExecuteNonQueryAsync(cancellationToken);
            changed($"ALTER SYSTEM SET {name} = {PgLiteral.Quote(value)}: {why}");
        }

        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync(cancellationToken);
        changed("reloaded the server's configuration (pg_reload_conf())");
    }
}
