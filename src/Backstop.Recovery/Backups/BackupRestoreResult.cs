using Backstop.Postgres.Connections;

namespace Backstop.Recovery.Backups;

/// <summary>A restore done: where the database now is, and for a sandbox its name (to stop it with).</summary>
public sealed record BackupRestoreResult(PgUrl Url, string? SandboxName, TimeSpan Duration)
{
    /// <summary>The OID of the environment's database, created by the restore (it had been dropped), now recorded in its identity.</summary>
    public uint? RecordedOid { get; init; }
}
