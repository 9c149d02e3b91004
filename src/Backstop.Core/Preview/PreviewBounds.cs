namespace Backstop.Core.Preview;

/// <summary>How long a preview may wait for a lock, and how long each statement may run.</summary>
public sealed record PreviewBounds(TimeSpan LockTimeout, TimeSpan StatementTimeout);
