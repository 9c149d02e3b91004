using Backstop.Core.Audit;

namespace Backstop.Server.Services;

/// <summary>The audit trail in the state store's tamper-evident audit log (docs/audit.md), shared by every server process on it.</summary>
public sealed class StoreAuditTrail(IAuditLog log) : IAuditTrail
{
    public IAuditLog Log { get; } = log;

    public async Task RecordAsync(AuditEvent entry, CancellationToken cancellationToken) =>
        await Log.AppendAsync(new AuditRecord
        {
            Actor = entry.Actor,
            From = entry.From,
            Action = entry.Action,
            Environment = entry.Environment,
            Object = entry.Object,
            Outcome = entry.Outcome,
            Detail = entry.Detail,
        }, CancellationToken.None);
}
