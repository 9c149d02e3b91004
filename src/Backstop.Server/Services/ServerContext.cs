using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.State;
using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>What every part of the server works with: the configuration (environments and their credentials), the state, and the clock.</summary>
public sealed class ServerContext
{
    public required BackstopConfig Config { get; init; }

    public required ServerSettings Settings { get; init; }

    public required IStateStore Store { get; init; }

    public required TeamStore Team { get; init; }

    public required IAuditTrail Audit { get; init; }

    /// <summary>The audit log itself, for reading, proofs and checkpoints.</summary>
    public required Core.Audit.IAuditLog AuditLog { get; init; }

    /// <summary>The key that signs the audit log's checkpoints.</summary>
    public required Core.Audit.AuditSigningKey SigningKey { get; init; }

    public required TimeProvider Clock { get; init; }

    /// <summary>Resolves environments' URLs from the server's own variables and files; the clients never see them.</summary>
    public required EnvironmentConnector Connector { get; init; }

    /// <summary>The webhooks (docs/schedules.md "Notifications"); none unless notifications: configures some.</summary>
    public Notifications.INotifications Notifications { get; init; } = Backstop.Server.Notifications.NoNotifications.Instance;

    /// <exception cref="ProblemException">404: no such environment.</exception>
    public EnvironmentConfig Environment(string name)
    {
        try
        {
            return Config.Environment(name);
        }
        catch (ConfigException e)
        {
            throw ProblemException.NotFound(e.Message.Replace(Config.Path, "the server's configuration", StringComparison.Ordinal));
        }
    }

    public ChangeLifecycle Lifecycle(ConnectedEnvironment target) =>
        new(target, Config.Policies[target.Environment.Tier], Store, Clock)
        {
            BackupProof = new Recovery.Backups.CatalogBackupProof(Config, Connector),
            StagedRuns = new StoreStagedRuns(Store, Config),
        };
}
