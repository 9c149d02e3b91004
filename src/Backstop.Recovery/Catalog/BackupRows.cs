using Backstop.Core.State;

namespace Backstop.Recovery.Catalog;

/// <summary>
/// Backups and drills as rows, the same in every store: the values their columns take, and the statements that write
/// them. Each store gives its own form of an instant (ISO 8601 text in SQLite, <c>timestamptz</c> in PostgreSQL) and
/// its own parameter marker.
/// </summary>
internal static class BackupRows
{
    /// <summary>The columns <see cref="Backup"/> gives that an update may change; the others identify the backup.</summary>
    private static readonly string[] Finished = ["status", "path", "finished_at", "size_bytes", "tables", "rows", "message"];

    public static IReadOnlyList<(string Column, object Value)> Backup(BackupEntry entry, Func<DateTimeOffset, object> instant) =>
    [
        ("environment", entry.Environment),
        ("id", entry.Id),
        ("kind", entry.Kind),
        ("status", StoredEnum.Name(entry.Status, BackupStatus.Unknown).ToLowerInvariant()),
        ("path", entry.Path),
        ("database", entry.Database),
        ("system_identifier", entry.SystemIdentifier),
        ("started_at", instant(entry.StartedAt)),
        ("finished_at", entry.FinishedAt is { } finished ? instant(finished) : DBNull.Value),
        ("size_bytes", (object?)entry.SizeBytes ?? DBNull.Value),
        ("tables", (object?)entry.Tables ?? DBNull.Value),
        ("rows", (object?)entry.Rows ?? DBNull.Value),
        ("message", (object?)entry.Message ?? DBNull.Value),
        ("pid", entry.ProcessId),
    ];

    public static IReadOnlyList<(string Column, object Value)> Drill(DrillEntry drill, Func<DateTimeOffset, object> instant, object passed) =>
    [
        ("environment", drill.Environment),
        ("backup_id", drill.BackupId),
        ("kind", drill.Kind),
        ("started_at", instant(drill.StartedAt)),
        ("finished_at", instant(drill.FinishedAt)),
        ("passed", passed),
        ("failed_check", (object?)drill.FailedCheck ?? DBNull.Value),
        ("failed_object", (object?)drill.FailedObject ?? DBNull.Value),
        ("message", (object?)drill.Message ?? DBNull.Value),
        ("durations", drill.Durations),
    ];

    /// <param name="marker">what precedes a parameter's name: <c>$</c> in SQLite, <c>@</c> in Npgsql.</param>
    public static string Insert(string table, IReadOnlyList<(string Column, object Value)> values, char marker) =>
        $"INSERT INTO {table} ({string.Join(", ", values.Select(v => v.Column))}) VALUES ({string.Join(", ", values.Select(v => marker + v.Column))})";

    /// <summary>Updates what a backup's run finds out, by environment and id.</summary>
    public static string UpdateFinished(string table, char marker) =>
        $"UPDATE {table} SET {string.Join(", ", Finished.Select(c => $"{c} = {marker}{c}"))} WHERE environment = {marker}environment AND id = {marker}id";
}
