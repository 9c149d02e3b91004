namespace Backstop.Recovery.Pitr;

/// <summary>
/// Point-in-time recovery could not be set up or carried out; the message names what failed and what to do.
/// <see cref="IsUsageError"/> marks a request that cannot be met as given (a target time in the future or before
/// the first backup: exit 2); anything else is a runtime failure (exit 1).
/// </summary>
public sealed class PitrException(string message, bool isUsageError = false) : Exception(message)
{
    public bool IsUsageError { get; } = isUsageError;
}
