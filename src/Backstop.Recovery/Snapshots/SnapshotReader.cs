using System.Collections.Concurrent;
using Backstop.Core.Snapshots;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// The read of <see cref="SnapshotCreator"/>: worker connections that join the exported snapshot, each taking the
/// next table (largest first) and streaming it, masked, into its data file.
/// </summary>
internal static class SnapshotReader
{
    /// <summary>Reads the tables, largest first, on <see cref="SnapshotCreateRequest.Jobs"/> connections that share the snapshot.</summary>
    internal static async Task<IReadOnlyList<SnapshotTable>> ReadTablesAsync(
        SnapshotCreateRequest request, string snapshot, SubsetPlan plan, List<(TableRead Read, DataEntry Entry)> reads, LeakMatcher matcher,
        IProgress<SnapshotProgress>? progress, CancellationToken cancellationToken)
    {
        var queue = new ConcurrentQueue<(TableRead Read, DataEntry Entry)>(reads.OrderByDescending(r => r.Read.Table.Bytes));
        var results = new ConcurrentDictionary<string, SnapshotTable>(StringComparer.Ordinal);
        long rows = 0, bytes = 0;
        var done = 0;
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        progress?.Report(new SnapshotProgress("reading", 0, reads.Count));

        async Task WorkAsync()
        {
            await using var connection = new NpgsqlConnection(request.Url.ToConnectionString());
            await connection.OpenAsync(failFast.Token);
            await SnapshotCreator.Execute(connection, null, SnapshotCreator.SessionSettings, failFast.Token);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, failFast.Token);
            await SnapshotCreator.Execute(connection, transaction, $"SET TRANSACTION READ ONLY; SET TRANSACTION SNAPSHOT {Postgres.PgLiteral.Quote(snapshot)}", failFast.Token);
            while (queue.TryDequeue(out var work))
            {
                var (read, entry) = work;
                long? sourceRows = null;
                if (plan.IsSubsetted(read.Table))
                {
                    await using var count = new NpgsqlCommand(read.CountSql, connection, transaction);
                    sourceRows = (long)(await count.ExecuteScalarAsync(failFast.Token))!;
                }

                var scanner = matcher.Scanner($"{read.Table.QualifiedName} data file");
                var kept = await TableCopier.CopyAsync(connection, read, entry.File, scanner, b =>
                {
                    var total = Interlocked.Add(ref bytes, b);
                    progress?.Report(new SnapshotProgress("reading", Volatile.Read(ref done), reads.Count, Volatile.Read(ref rows), total));
                }, failFast.Token);
                Interlocked.Add(ref rows, kept);
                results[read.Table.QualifiedName] = new SnapshotTable(
                    read.Table.Schema, read.Table.Name, sourceRows ?? kept, kept, read.Columns.Where(c => c.Rule.Kind != MaskKind.Keep).Select(c => c.Column.Name).ToList());
                progress?.Report(new SnapshotProgress("reading", Interlocked.Increment(ref done), reads.Count, Volatile.Read(ref rows), Volatile.Read(ref bytes)));
            }

            await transaction.CommitAsync(failFast.Token);
        }

        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(request.Jobs, reads.Count))).Select(_ => Task.Run(async () =>
        {
            try
            {
                await WorkAsync();
            }
            catch
            {
                await failFast.CancelAsync();
                throw;
            }
        })).ToList();
        try
        {
            await Task.WhenAll(workers);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && workers.FirstOrDefault(w => w.IsFaulted)?.Exception?.InnerException is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }

        return reads.Select(r => results[r.Read.Table.QualifiedName]).ToList();
    }

    internal static async Task SampleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TableRead read, ColumnRead column, int limit, LeakSamples samples, CancellationToken cancellationToken)
    {
        var constant = column.Rule.Kind == MaskKind.Set ? column.Rule.Argument : null;
        var source = $"{read.Table.QualifiedName}.{column.Column.Name}";
        await using var command = new NpgsqlCommand(read.SampleSql(column, limit), connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var value = reader.GetString(0);
            if (value != constant)
            {
                samples.Add(value, source);
            }
        }
    }
}
