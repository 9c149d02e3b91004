namespace Backstop.Core.Changes;

/// <summary>
/// A change lost a lock wait or a deadlock against another session and was rolled back (exit 1). The message says
/// which table, who held it, and ends with "nothing was changed; retry"; see <see cref="LockConflict"/>.
/// </summary>
public sealed class LockConflictException(string message, Exception inner) : Exception(message, inner);
