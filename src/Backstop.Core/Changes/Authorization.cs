namespace Backstop.Core.Changes;

/// <summary>
/// What the person who runs a prepared change brings to it: nothing, a yes, the environment's name as they typed it, or
/// a second person's approval. <see cref="Satisfies"/> decides whether it is what the change's verdict needs.
/// </summary>
public sealed record Authorization
{
    private Authorization(AuthorizationKind kind, string? by, string? typedName)
    {
        Kind = kind;
        By = by;
        TypedName = typedName;
    }

    public AuthorizationKind Kind { get; }

    /// <summary>Who confirmed or approved; null for <see cref="None"/>.</summary>
    public string? By { get; }

    /// <summary>The environment's name as typed, for <see cref="AuthorizationKind.TypedName"/>.</summary>
    public string? TypedName { get; }

    public static Authorization None { get; } = new(AuthorizationKind.None, null, null);

    public static Authorization Confirmed(string by) => new(AuthorizationKind.Confirmed, by, null);

    public static Authorization Typed(string by, string typedName) => new(AuthorizationKind.TypedName, by, typedName);

    public static Authorization Approved(string approver) => new(AuthorizationKind.Approved, approver, null);

    /// <summary>
    /// Break glass (team mode): the person who asked runs without the approval the change needs, where the tier's policy
    /// allows it, and the change stays open for another person's review. Never enough for a denied change.
    /// </summary>
    public static Authorization BreakGlass(string by) => new(AuthorizationKind.BreakGlass, by, null);

    /// <summary>Why this authorization is not enough for <paramref name="change"/>, or null when it is.</summary>
    public string? Shortfall(PreparedChange change) => change.Requires switch
    {
        Requirement.Nothing => null,
        Requirement.Refused => "it was denied by the policy, and nothing lets a denied change run",
        Requirement.Approval when Kind == AuthorizationKind.BreakGlass => null,
        Requirement.Approval => Kind != AuthorizationKind.Approved
            ? "it needs a second person's approval"
            : string.Equals(By, change.Actor, StringComparison.Ordinal) ? $"it needs the approval of someone other than {change.Actor}, who asked for it" : null,
        Requirement.TypedName => Kind switch
        {
            AuthorizationKind.Approved when !string.Equals(By, change.Actor, StringComparison.Ordinal) => null,
            AuthorizationKind.BreakGlass => null,
            AuthorizationKind.TypedName when string.Equals(TypedName, change.Environment, StringComparison.Ordinal) => null,
            AuthorizationKind.TypedName => $"the name typed, '{TypedName}', is not the environment's name '{change.Environment}'",
            _ => $"this production change needs the environment's name typed ({change.Environment})",
        },
        Requirement.Confirmation => Kind == AuthorizationKind.None ? "it needs a confirmation" : null,
        _ => "its requirement is unknown to this Backstop",
    };
}

public enum AuthorizationKind
{
    None,
    Confirmed,
    TypedName,
    Approved,
    BreakGlass,
}
