namespace Backstop.Core.Changes;

/// <summary>What a prepared change needs before it may run, from its verdict and its environment's tier.</summary>
public enum Requirement
{
    /// <summary>Allowed: it runs as it is.</summary>
    Nothing,

    /// <summary>A yes from the person who asked.</summary>
    Confirmation,

    /// <summary>On production: the environment's name, typed by the person who asked.</summary>
    TypedName,

    /// <summary>A second person's approval.</summary>
    Approval,

    /// <summary>Denied by the policy: nothing lets it run.</summary>
    Refused,
}

/// <summary>The tier's rule of who confirms how; the one place that says it, for the CLI, the server and the proxy.</summary>
public static class ConfirmationRules
{
    public static Requirement For(Policies.Verdict verdict, Configuration.Tier tier) => verdict switch
    {
        Policies.Verdict.Allow => Requirement.Nothing,
        Policies.Verdict.Confirm => tier == Configuration.Tier.Production ? Requirement.TypedName : Requirement.Confirmation,
        Policies.Verdict.Approve => Requirement.Approval,
        _ => Requirement.Refused,
    };
}
