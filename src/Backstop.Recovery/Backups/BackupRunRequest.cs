using Backstop.Core.Configuration;

namespace Backstop.Recovery.Backups;

/// <summary>What <c>backstop backup run</c> was asked for.</summary>
public sealed record BackupRunRequest
{
    public required EnvironmentConfig Environment { get; init; }

    /// <summary>Another database of the environment's server (<c>--database</c>); null: the environment's own.</summary>
    public string? Database { get; init; }

    /// <summary>The environment's backup settings with the command line's overrides (jobs, keep, max age) applied.</summary>
    public required BackupSettings Settings { get; init; }
}
