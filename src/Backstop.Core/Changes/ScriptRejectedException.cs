namespace Backstop.Core.Changes;

/// <summary>The script cannot be previewed or run as written (exit 2); nothing was executed.</summary>
public sealed class ScriptRejectedException(string message) : Exception(message);
