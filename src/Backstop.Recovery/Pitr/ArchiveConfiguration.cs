using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Turns on WAL archiving into pgBackRest with ALTER SYSTEM (docs: "Continuous Archiving and Point-in-Time Recovery
/// → Setting Up WAL Archiving"): <c>archive_mode = on</c> (takes effect at server start) and <c>archive_command</c>
/// (takes effect at a reload), and <c>wal_level = replica</c> when it is <c>minimal</c>.
/// </summary>
internal static class ArchiveConfiguration
{
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

        if (settings.ArchiveCommand.Length > 0 && settings.ArchiveCommand != "(disabled)" && settings.ArchiveCommand != archiveCommand)
        {
            throw new PitrException(
                $"environment '{environment}' already archives WAL with archive_command '{settings.ArchiveCommand}'; Backstop will not replace another archiver. " +
                "If pgBackRest should take over, remove it first (ALTER SYSTEM RESET archive_command, or delete the line from postgresql.conf and reload), then run this again",
                isUsageError: true);
        }

        var plan = new List<(string, string, string)>();
        if (settings.WalLevel == "minimal")
        {
            plan.Add(("wal_level", "replica", "WAL archiving needs WAL for replicas, not the minimal level; takes effect at restart"));
        }

        if (!settings.Archiving)
        {
            plan.Add(("archive_mode", "on", "the server hands every finished WAL segment to archive_command; takes effect at restart"));
        }

        if (settings.ArchiveCommand != archiveCommand)
        {
            plan.Add(("archive_command", archiveCommand, "pgBackRest stores each WAL segment in the repository; takes effect at reload"));
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
            changed($"ALTER SYSTEM SET {name} = {PgLiteral.Quote(value)} (in postgresql.auto.conf): {why}");
        }

        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync(cancellationToken);
        changed("reloaded the server's configuration (pg_reload_conf())");
    }
}
