using Backstop.Postgres.Catalog;

namespace Backstop.Core.Changes;

/// <summary>
/// Where the lifecycle learns which databases have a recent backup proven by a restore drill (the policy's
/// drop_database rule asks). Recovery implements it over its backup catalog; Core knows no catalog.
/// </summary>
public interface IBackupProof
{
    /// <summary>Per database of the target's server, when its newest proven backup was taken; asked only for scripts that drop a database.</summary>
    Task<IReadOnlyDictionary<string, DateTimeOffset>> ProvenBackupsAsync(ServerIdentity identity, CancellationToken cancellationToken);
}
