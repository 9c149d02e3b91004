namespace Backstop.Core.Audit;

/// <summary>The stored log is not what Backstop wrote (an entry missing, for one): it will not be signed or proven.</summary>
public sealed class AuditLogDamagedException(string message) : Exception(message);
