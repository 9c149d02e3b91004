namespace Backstop.Core.Environments;

/// <summary>The server could not be reached or refused the login (exit 1). The message names host and port, never the password.</summary>
public sealed class ConnectionFailedException(string message, Exception inner) : Exception(message, inner);
