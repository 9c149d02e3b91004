namespace Backstop.Core.Review;

/// <summary>What Backstop's own records say about recovering the environment (from its backup catalog and configuration).</summary>
/// <param name="LastProvenAge">age of the newest backup whose latest drill passed; null when none has.</param>
/// <param name="Limit">backup.proven_within.</param>
/// <param name="AnyDrill">whether any restore drill has run, passed or not.</param>
/// <param name="Pitr">whether point-in-time recovery is set up (the environment's <c>pitr:</c>).</param>
public sealed record RecoverabilityFacts(string Environment, TimeSpan? LastProvenAge, TimeSpan Limit, bool AnyDrill, bool Pitr, bool Production);
