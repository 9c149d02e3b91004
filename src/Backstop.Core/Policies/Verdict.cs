namespace Backstop.Core.Policies;

/// <summary>Ordered from least to most strict: a script's verdict is its strictest statement's.</summary>
public enum Verdict
{
    Allow,
    Confirm,
    Approve,
    Deny,

    /// <summary>
    /// A verdict this Backstop does not know, read back from a state store a newer one wrote to (<see cref="State.StoredEnum"/>).
    /// It ranks above <see cref="Deny"/>, so that whatever compares verdicts treats it as the strictest; no policy can name it.
    /// </summary>
    Unknown,
}
