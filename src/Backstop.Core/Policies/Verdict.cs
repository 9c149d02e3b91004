namespace Backstop.Core.Policies;

/// <summary>Ordered from least to most strict: a script's verdict is its strictest statement's.</summary>
public enum Verdict
{
    Allow,
    Confirm,
    Approve,
    Deny,
}
