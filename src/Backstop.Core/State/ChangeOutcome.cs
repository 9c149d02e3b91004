namespace Backstop.Core.State;

public enum ChangeOutcome
{
    /// <summary>Recorded before the change ran; a crash leaves it so.</summary>
    Running,
    Committed,
    Denied,
    NeedsApproval,
    NotConfirmed,
    /// <summary>The run's impact differed from the preview; rolled back.</summary>
    ImpactChanged,
    Failed,
    /// <summary>Previewed, judged and recorded; waiting for the authorization it needs before it runs.</summary>
    Prepared,

    /// <summary>An outcome this Backstop does not know: recorded by a newer one (<see cref="StoredEnum"/>).</summary>
    Unknown,
}
