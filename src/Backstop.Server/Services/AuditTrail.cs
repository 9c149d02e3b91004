namespace Backstop.Server.Services;

/// <summary>What the server records in the audit log: who, from where, what, on which environment and object, and how it ended.</summary>
public sealed record AuditEvent(string Actor, string? From, string Action, string? Environment, string? Object, string Outcome, IReadOnlyDictionary<string, string>? Detail = null);

/// <summary>Where the server writes its audit events (the state store's audit log; docs/audit.md).</summary>
public interface IAuditTrail
{
    Task RecordAsync(AuditEvent entry, CancellationToken cancellationToken);
}
