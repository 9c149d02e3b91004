namespace Backstop.Cli;

/// <summary>The command was given wrong or missing input (exit 2); the message says what to give instead.</summary>
internal sealed class UsageException(string message) : Exception(message);
