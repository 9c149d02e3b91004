namespace Backstop.Core.Review;

/// <summary>One thing the review found: which rule, how much it matters, on what, why, and the fix where there is one.</summary>
public sealed record ReviewFinding
{
    /// <summary>One of <see cref="ReviewRules"/>' ids, e.g. <c>fk-without-index</c>.</summary>
    public required string Rule { get; init; }

    public required ReviewSeverity Severity { get; init; }

    /// <summary>The object as it would be written in SQL (<c>public.users</c>, <c>public.leads.leads_user_id_fkey</c>), or <c>environment prod</c>.</summary>
    public required string Object { get; init; }

    /// <summary>One sentence: why it matters.</summary>
    public required string Why { get; init; }

    /// <summary>SQL that removes the finding (identifiers quoted), or for recoverability the backstop commands; null when there is none.</summary>
    public string? Fix { get; init; }

    /// <summary>For <c>cascade-blast-radius</c>: where a one-row DELETE reaches.</summary>
    public CascadeReach? Cascade { get; init; }

    /// <summary>Set when a suppression in backstop.yaml names this finding (active or expired).</summary>
    public ReviewSuppression? Suppression { get; init; }

    /// <summary>Whether an active suppression hides the finding; an expired one does not.</summary>
    public bool Suppressed { get; init; }

    /// <summary>The key a suppression or a before/after comparison matches on.</summary>
    public string Key => Rule + " " + Object;
}
