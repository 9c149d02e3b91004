namespace Backstop.Recovery.Catalog;

/// <summary>
/// The backup catalog (DESIGN.md, D4): backups and drills, in the state store beside the change record, a SQLite file
/// or a PostgreSQL database (<see cref="BackupCatalogs"/>). A backup is usable only when its entry is Complete; it is
/// proven when a drill of it passed.
/// </summary>
public interface IBackupCatalog
{
    Task AddAsync(BackupEntry entry, CancellationToken cancellationToken);

    /// <summary>Its status, path, end, size, counts and message; what identifies it stays.</summary>
    Task UpdateAsync(BackupEntry entry, CancellationToken cancellationToken);

    Task<BackupEntry?> GetAsync(string environment, string id, CancellationToken cancellationToken);

    /// <summary>Backups of an environment (all environments when null), newest first.</summary>
    Task<IReadOnlyList<BackupEntry>> ListAsync(string? environment, CancellationToken cancellationToken);

    /// <returns>the drill's id.</returns>
    Task<long> AddDrillAsync(DrillEntry drill, CancellationToken cancellationToken);

    /// <summary>Drills of an environment (all when null), newest first.</summary>
    Task<IReadOnlyList<DrillEntry>> ListDrillsAsync(string? environment, CancellationToken cancellationToken);
}
