using Backstop.Core.Configuration;

namespace Backstop.Recovery.Backups;

/// <summary>What <c>backstop backup verify</c> (the restore drill) was asked for.</summary>
public sealed record BackupVerifyRequest
{
    public required EnvironmentConfig Environment { get; init; }

    /// <summary>The backup to drill; null: the latest complete one of <see cref="Database"/>.</summary>
    public string? Id { get; init; }

    /// <summary>Without an id: the latest backup of this database; null: the environment's own.</summary>
    public string? Database { get; init; }

    /// <summary>Parallel pg_restore and pg_amcheck jobs; null: the environment's <c>backup.jobs</c>.</summary>
    public int? Jobs { get; init; }

    /// <summary>Leave the drill's sandbox running, to look at it.</summary>
    public bool KeepSandbox { get; init; }

    /// <summary>pg_amcheck's slower checks (every heap tuple in every index, index tuples from the root).</summary>
    public bool Thorough { get; init; }
}
