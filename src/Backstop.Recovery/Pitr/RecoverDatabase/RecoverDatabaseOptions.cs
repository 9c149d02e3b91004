namespace Backstop.Recovery.Pitr.RecoverDatabase;

/// <summary>What <c>backstop recover-database</c> was asked for.</summary>
public sealed record RecoverDatabaseOptions
{
    /// <summary>Look for the DROP DATABASE back to this time (as <see cref="RecoveryTarget.Parse"/> reads it); null: as far as the WAL goes.</summary>
    public string? Since { get; init; }

    /// <summary>The dropped database's OID, for an environment whose recorded identity has none (recorded by an older Backstop).</summary>
    public uint? DatabaseOid { get; init; }

    /// <summary>The other database of the server to work through (the environment's own is gone).</summary>
    public string MaintenanceDatabase { get; init; } = Pitr.MaintenanceDatabase.DefaultName;

    /// <summary>The clone's sandbox name; null: <c>pitr-&lt;env&gt;-&lt;random&gt;</c>.</summary>
    public string? CloneName { get; init; }

    public string? SandboxRoot { get; init; }

    /// <summary>Leave the clone running afterwards (it is always left running when the copy fails).</summary>
    public bool KeepClone { get; init; }

    /// <summary>Parallel jobs of pg_dump and pg_restore.</summary>
    public int Jobs { get; init; } = 2;
}
