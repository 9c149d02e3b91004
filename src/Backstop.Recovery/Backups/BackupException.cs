namespace Backstop.Recovery.Backups;

/// <summary>A backup, drill or restore could not be done; the message names what and why.</summary>
public sealed class BackupException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// The request cannot be met as given (an unknown or unusable backup id, a target that is not a URL, a non-empty
    /// target without <c>--force</c>): exit 2, as opposed to a failure while doing the work (exit 1).
    /// </summary>
    public bool IsUsageError { get; init; }
}
