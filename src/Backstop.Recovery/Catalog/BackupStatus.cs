namespace Backstop.Recovery.Catalog;

/// <summary>The state of one backup in the catalog.</summary>
public enum BackupStatus
{
    /// <summary>Being written; never usable. A run whose process is gone is settled to Interrupted or Complete.</summary>
    Running,

    /// <summary>Written in full: dump, manifest and checksums. Usable; proven once a drill passes.</summary>
    Complete,

    /// <summary>pg_dump or a check failed; never usable.</summary>
    Failed,

    /// <summary>The process stopped part-way (killed, crashed); never usable.</summary>
    Interrupted,

    /// <summary>Removed by retention.</summary>
    Expired,

    /// <summary>A status this Backstop does not know: recorded by a newer one. Never usable.</summary>
    Unknown,
}
