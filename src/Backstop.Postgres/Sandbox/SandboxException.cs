namespace Backstop.Postgres.Sandbox;

/// <summary>A sandbox cluster could not be started, found or stopped; the message says why and what to do.</summary>
public sealed class SandboxException(string message) : Exception(message);
