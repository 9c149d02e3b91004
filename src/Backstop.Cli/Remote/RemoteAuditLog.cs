using System.Runtime.CompilerServices;
using System.Text.Json;
using Backstop.Core.Audit;
using Backstop.Core.Reports;

namespace Backstop.Cli.Remote;

/// <summary>
/// The team server's audit log, read through its API, so that <c>audit list</c>, <c>export</c> and <c>verify</c> work
/// the same signed in as on the server's host; <c>verify</c> then recomputes everything here, on this machine, from the
/// entries as stored. Only the server signs checkpoints.
/// </summary>
internal sealed class RemoteAuditLog(ServerClient client) : IAuditLog
{
    public string Where => client.Server;

    public Task<AuditEntry> AppendAsync(AuditRecord what, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<IReadOnlyList<AuditEntry>> AppendAllAsync(IReadOnlyList<AuditRecord> what, CancellationToken cancellationToken) => throw ReadOnly();

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset? since, string? actor, int limit, CancellationToken cancellationToken)
    {
        var query = $"audit/entries?limit={limit}" + (since is { } s ? "&since=" + Uri.EscapeDataString(s.ToString("O")) : "") + (actor is null ? "" : "&actor=" + Uri.EscapeDataString(actor));
        return await client.GetAsync<List<AuditEntry>>(query, cancellationToken);
    }

    public async Task<StoredAuditEntry?> GetAsync(long seq, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetAsync<StoredAuditEntry>($"audit/entries/{seq}", cancellationToken);
        }
        catch (RemoteException e) when (e.ExitCode == 2)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<StoredAuditEntry> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = await client.StreamAsync("audit/export", cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<StoredAuditEntry>(line, ReportJson.Options)
                    ?? throw new RemoteException($"the server at {client.Server} sent an audit entry that is not one", 1);
            }
        }
    }

    public async Task<IReadOnlyList<byte[]>> LeafHashesAsync(long treeSize, CancellationToken cancellationToken)
    {
        var leaves = new List<byte[]>();
        await foreach (var entry in ReadAllAsync(cancellationToken))
        {
            if (entry.Seq > treeSize)
            {
                break;
            }

            leaves.Add(entry.LeafHash);
        }

        return leaves;
    }

    public Task<AuditCheckpoint?> CheckpointAsync(AuditSigningKey key, CancellationToken cancellationToken) => throw ReadOnly();

    public async Task<AuditCheckpoint?> LatestCheckpointAsync(CancellationToken cancellationToken) =>
        await CheckpointsAsync(cancellationToken) is { Count: > 0 } all ? all[^1] : null;

    public async Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken) =>
        await client.GetAsync<List<AuditCheckpoint>>("audit/checkpoints", cancellationToken);

    public async Task<string> PublicKeyAsync(CancellationToken cancellationToken)
    {
        await using var stream = await client.StreamAsync("audit/public-key", cancellationToken);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    public async Task<string> ProofAsync(long seq, CancellationToken cancellationToken)
    {
        await using var stream = await client.StreamAsync($"audit/proof/{seq}", cancellationToken);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static UsageException ReadOnly() => new("the audit log is written and signed by the server only; on a signed-in machine it can be read, exported and verified");
}
