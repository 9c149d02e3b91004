namespace Backstop.Core.Undo;

/// <summary>A change cannot be undone from what the target holds (exit 1); the message says why.</summary>
public sealed class UndoUnavailableException(string message) : Exception(message);
