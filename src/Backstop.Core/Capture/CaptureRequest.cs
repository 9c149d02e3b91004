namespace Backstop.Core.Capture;

/// <summary>What the change log in the target database records of a change.</summary>
internal sealed record CaptureRequest(Guid ChangeId, long LocalId, string Environment, string OsUser, string ScriptSha256, Guid? UndoOf);
