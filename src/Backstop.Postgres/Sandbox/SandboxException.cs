namespace Backstop.Postgres.Sandbox;

/// <summary>A sandbox cluster could not be started, found or stopped; the message says why and what to do.</summary>
public sealed class SandboxException(string message) : Exception(message)
{
    /// <summary>The caller asked for something that cannot be (an unknown, invalid or taken name), as opposed to a failure of the server programs.</summary>
    public bool IsUsageError { get; init; }
}
