namespace Backstop.Recovery.Snapshots;

/// <summary>A snapshot could not be made, listed or loaded; the message names what, why and the fix.</summary>
public sealed class SnapshotException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The request cannot be met as given (unknown snapshot, production target, rules that cannot work): exit 2.</summary>
    public bool IsUsageError { get; init; }
}
