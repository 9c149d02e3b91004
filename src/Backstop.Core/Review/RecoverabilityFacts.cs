namespace Backstop.Core.Review;

/// <summary>What Backstop's own records say about recovering the environment (from its backup catalog and configuration).</summary>
/// <param name="LastProvenAge">age of the newest backup whose latest drill passed; null when none has.</param>
/// <param name="Limit">backup.proven_within.</param>
/// <param name="AnyDrill">whether any restore drill has run, passed or not.</param>
/// <param name="Pitr">whether point-in-time recovery is set up (the environment's <c>pitr:</c>).</param>
/// <param name="Retention">how long before-images and the recycle bin are kept (the environment's <c>retention</c>).</param>
/// <param name="BackupMaxAge">backup.max_age: older backups are expired; null when backups are kept by count or for good.</param>
/// <param name="Freeze">the tier's freeze window; null when it has none.</param>
public sealed record RecoverabilityFacts(
    string Environment, TimeSpan? LastProvenAge, TimeSpan Limit, bool AnyDrill, bool Pitr, bool Production,
    TimeSpan? Retention = null, TimeSpan? BackupMaxAge = null, Policies.FreezeWindow? Freeze = null)
{
    /// <summary>The facts of an environment of the configuration, with its backup health.</summary>
    public static RecoverabilityFacts Of(Configuration.BackstopConfig config, Configuration.EnvironmentConfig environment, TimeSpan? lastProvenAge, TimeSpan limit, bool anyDrill) =>
        new(environment.Name, lastProvenAge, limit, anyDrill, environment.Pitr is not null, environment.Tier == Configuration.Tier.Production,
            environment.Retention, environment.Backup.MaxAge, config.Policies.TryGetValue(environment.Tier, out var policy) ? policy.FreezeWindow : null);
}
