namespace Backstop.Core.Capture;

/// <summary>The target's <c>backstop</c> schema was written by a newer Backstop than this one (exit 2): it is left as it is.</summary>
public sealed class CaptureSchemaTooNewException(string message) : Exception(message);
