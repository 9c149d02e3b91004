namespace Backstop.Core.Undo;

/// <summary>A row undo will not touch without <c>--skip-conflicts</c>: it changed after the change, or its key is taken.</summary>
public sealed record UndoConflict(string Table, string Key, string Reason, string? Current);
