using System.Collections.Concurrent;
using System.Diagnostics;
using Backstop.Core.Snapshots;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Backups;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// <c>backstop snapshot create</c>: reads production in one snapshot (exported by a REPEATABLE READ READ ONLY
/// transaction, which the worker connections join with SET TRANSACTION SNAPSHOT), masks while streaming into the data
/// files of a dump made from production's schema (<see cref="DumpSkeleton"/>), then proves it: a restore with
/// pg_restore in a sandbox (foreign keys and unique constraints are created over the data, so they hold), row counts
/// as kept, and a leak scan of the restored database and the files. Written under <c>.partial-ID</c> and renamed when
/// the manifest is written; a snapshot that failed keeps only its manifest: its data is deleted.
/// </summary>
public sealed class SnapshotCreator(SnapshotRepository repository, TimeProvider clock)
{
    /// <summary>Text forms of values as pg_dump fixes them, so that the data files read back the same anywhere.</summary>
    private const string SessionSettings = "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

    private const string DrillDatabase = "backstop_snapshot_drill";

    public async Task<(string Path, SnapshotManifest Manifest)> CreateAsync(SnapshotCreateRequest request, IProgress<SnapshotProgress>? progress, CancellationToken cancellationToken)
    {
        var environment = request.Environment;
        repository.EnsureExists(environment);
        var started = clock.GetUtcNow();
        var id = repository.NewId(environment, started);
        repository.RemoveAbandoned(environment);
        var partial = repository.PartialPathOf(environment, id);
        var durations = new System.Collections.Concurrent.ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        var lockPath = repository.LockPathOf(environment, id);
        await using var held = new FileStream(lockPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        Directory.CreateDirectory(partial);
        var dump = Path.Combine(partial, SnapshotRepository.DumpDirectory);
        var starting = SandboxCluster.StartAsync(
            new SandboxOptions { Name = $"snapshot-{id}-{Guid.NewGuid().ToString("N")[..4]}", Settings = RestoreDrill.RestoreSettings }, null, cancellationToken);
        SandboxCluster? sandbox = null;
        try
        {
            progress?.Report(new SnapshotProgress("reading the catalog"));
            await using var connection = new NpgsqlConnection(request.Url.ToConnectionString());
            await connection.OpenAsync(cancellationToken);
            await Execute(connection, null, SessionSettings, cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            var (snapshot, snapshotTime, serverVersion) = await ExportSnapshotAsync(connection, transaction, cancellationToken);
            var catalog = await SourceCatalog.ReadAsync(connection, transaction, cancellationToken);
            var plan = SubsetPlan.Build(catalog, request.Settings);
            var sequences = await ReadSequencesAsync(connection, transaction, cancellationToken);

            sandbox = await starting;
            var step = Stopwatch.StartNew();
            progress?.Report(new SnapshotProgress("copying the schema"));
            var entries = await DumpSkeleton.CreateAsync(request.Url, snapshot, PgUrl.Parse(sandbox.Url), partial, dump, sequences, cancellationToken);
            var rules = request.Settings.Tables.ToDictionary(r => $"{r.Schema}.{r.Table}", StringComparer.Ordinal);
            var reads = new List<(TableRead Read, DataEntry Entry)>();
            foreach (var table in plan.Tables)
            {
                var entry = entries.GetValueOrDefault(table.QualifiedName)
                    ?? throw new SnapshotException($"{table.QualifiedName} has no data entry in the schema's dump; run the snapshot again");
                reads.Add((TableRead.Build(table, entry.Columns, rules.GetValueOrDefault(table.QualifiedName), plan, request.Maskers, request.Key), entry));
            }

            durations["schema"] = Lap(step);

            // Sampled before any row is written, so that every character written is searched as it is written.
            progress?.Report(new SnapshotProgress("sampling masked columns for the leak scan"));
            var samples = new LeakSamples();
            foreach (var (read, _) in reads)
            {
                // A shuffled column keeps its values by design (on other rows): the scan would find every one.
                foreach (var column in read.Columns.Where(c => c.Rule.Kind is not (MaskKind.Keep or MaskKind.Shuffle)))
                {
                    await SampleAsync(connection, transaction, read, column, request.LeakSamplesPerColumn, samples, cancellationToken);
                }
            }

            var matcher = new LeakMatcher(samples);
            durations["sample"] = Lap(step);
            var tables = await ReadTablesAsync(request, snapshot, plan, reads, matcher, dump, progress, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            await DirectorySync.SyncAsync(dump, cancellationToken);
            durations["read"] = Lap(step);
            var (drill, scan) = await ProveAsync(sandbox, partial, tables, matcher, reads.Select(r => Path.GetFileName(r.Entry.File)).ToHashSet(StringComparer.Ordinal), request.Jobs, durations, progress, cancellationToken);
            var usable = drill.Passed && scan.Passed;
            if (!usable)
            {
                // What failed is never handed out, and a leak must not stay on disk.
                Directory.Delete(dump, recursive: true);
            }

            var manifest = new SnapshotManifest
            {
                Id = id,
                Environment = environment,
                Database = request.Identity.Database,
                SystemIdentifier = request.Identity.SystemIdentifier,
                ServerVersion = serverVersion,
                SnapshotTime = snapshotTime,
                StartedAt = started,
                FinishedAt = clock.GetUtcNow(),
                SettingsFingerprint = SnapshotKey.Fingerprint(request.Settings),
                Jobs = request.Jobs,
                Tables = tables,
                Drill = drill,
                LeakScan = scan,
                Status = usable ? SnapshotManifest.Usable : SnapshotManifest.Failed,
                Message = usable ? null : FailureMessage(drill, scan),
                SizeBytes = SnapshotRepository.SizeOf(partial),
                Durations = durations,
            };
            manifest.Write(partial);
            await DirectorySync.SyncAsync(partial, cancellationToken);
            var final = repository.PathOf(environment, id);
            Directory.Move(partial, final);
            await DirectorySync.SyncAsync(repository.DirectoryOf(environment), CancellationToken.None);
            return (final, manifest);
        }
        catch
        {
            TryDelete(partial);
            throw;
        }
        finally
        {
            sandbox ??= await StartedOrNullAsync(starting);
            if (sandbox is not null)
            {
                await sandbox.StopAsync(immediate: true, CancellationToken.None);
            }

            await held.DisposeAsync();
            File.Delete(lockPath);
        }
    }

    private static string FailureMessage(SnapshotDrill drill, SnapshotLeakScan scan)
    {
        var reasons = new List<string>();
        if (!drill.Passed)
        {
            reasons.Add("the drill failed: " + string.Join("; ", drill.Failures.Take(5)));
        }

        if (!scan.Passed)
        {
            reasons.Add("the leak scan found original values of " +
                string.Join("; ", scan.Hits.GroupBy(h => h.Source).Take(10).Select(g => $"{g.Key} in {string.Join(", ", g.Select(h => h.FoundIn).Distinct().Take(5))}")));
        }

        return string.Join("; ", reasons);
    }

    private static async Task<(string Snapshot, DateTimeOffset Time, string ServerVersion)> ExportSnapshotAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await Execute(connection, transaction, "SET TRANSACTION READ ONLY", cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_export_snapshot(), statement_timestamp(), current_setting('server_version')", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2));
    }

    /// <summary>Sequences are not transactional: their values as of now, which a snapshot's restore must at least reach.</summary>
    private static async Task<IReadOnlyList<(string Schema, string Name, long LastValue)>> ReadSequencesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var sequences = new List<(string, string, long)>();
        await using var command = new NpgsqlCommand(
            "SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE last_value IS NOT NULL AND schemaname NOT IN ('pg_catalog', 'information_schema')", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sequences.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return sequences;
    }

    /// <summary>Reads the tables, largest first, on <see cref="SnapshotCreateRequest.Jobs"/> connections that share the snapshot.</summary>
    private static async Task<IReadOnlyList<SnapshotTable>> ReadTablesAsync(
        SnapshotCreateRequest request, string snapshot, SubsetPlan plan, List<(TableRead Read, DataEntry Entry)> reads, LeakMatcher matcher, string dump,
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
            await Execute(connection, null, SessionSettings, failFast.Token);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, failFast.Token);
            await Execute(connection, transaction, $"SET TRANSACTION READ ONLY; SET TRANSACTION SNAPSHOT {Postgres.PgLiteral.Quote(snapshot)}", failFast.Token);
            while (queue.TryDequeue(out var work))
            {
                var (read, entry) = work;
                long? sourceRows = null;
                if (plan.IsSubsetted(read.Table))
                {
                    await using var count = new NpgsqlCommand(read.CountSql, connection, transaction);
                    sourceRows = (long)(await count.ExecuteScalarAsync(failFast.Token))!;
                }

                var scanner = matcher.Scanner(Path.GetRelativePath(dump, entry.File));
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

    private static async Task SampleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TableRead read, ColumnRead column, int limit, LeakSamples samples, CancellationToken cancellationToken)
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

    /// <summary>The drill (a restore with pg_restore, row counts as kept) and the leak scan of the files (beside the restore) and of the restored database.</summary>
    private static async Task<(SnapshotDrill Drill, SnapshotLeakScan Scan)> ProveAsync(
        SandboxCluster sandbox, string partial, IReadOnlyList<SnapshotTable> tables, LeakMatcher matcher, IReadOnlySet<string> scanned, int jobs,
        System.Collections.Concurrent.ConcurrentDictionary<string, double> durations, IProgress<SnapshotProgress>? progress, CancellationToken cancellationToken)
    {
        progress?.Report(new SnapshotProgress("drill: restoring into a sandbox"));
        var watch = Stopwatch.StartNew();
        var fileScan = Task.Run(
            async () =>
            {
                var scanWatch = Stopwatch.StartNew();
                await LeakScan.ScanFilesAsync(Path.Combine(partial, SnapshotRepository.DumpDirectory), matcher, scanned, cancellationToken);
                durations["scanFiles"] = Lap(scanWatch);
            },
            cancellationToken);
        var step = Stopwatch.StartNew();
        var failures = new List<string>();
        var maintenance = PgUrl.Parse(sandbox.Url);
        var target = maintenance.WithDatabase(DrillDatabase);
        var restored = false;
        try
        {
            await DumpRestorer.CreateDatabaseAsync(maintenance, DrillDatabase, cancellationToken, "UTF8");
            await DumpRestorer.RestoreAsync(partial, target, jobs, clean: false, owners: false, null, cancellationToken);
            restored = true;
        }
        catch (BackupException e)
        {
            failures.Add(e.Message);
        }

        durations["restore"] = Lap(step);

        var hits = new List<LeakHit>();
        if (restored)
        {
            progress?.Report(new SnapshotProgress("drill: checking row counts"));
            failures.AddRange(await CheckRowsAsync(target, tables, cancellationToken));
            durations["rows"] = Lap(step);
            progress?.Report(new SnapshotProgress("leak scan"));
            hits.AddRange(await LeakScan.ScanDatabaseAsync(target.ToConnectionString(), matcher.Samples, cancellationToken));
            durations["scanDatabase"] = Lap(step);
        }

        var drill = new SnapshotDrill(failures.Count == 0, Math.Round(watch.Elapsed.TotalSeconds, 3), failures);
        await fileScan;
        hits.AddRange(matcher.Hits);
        var distinct = hits.Distinct().OrderBy(h => h.Source, StringComparer.Ordinal).ThenBy(h => h.FoundIn, StringComparer.Ordinal).ToList();
        return (drill, new SnapshotLeakScan(distinct.Count == 0, matcher.Samples.Count, distinct));
    }

    private static async Task<IReadOnlyList<string>> CheckRowsAsync(PgUrl database, IReadOnlyList<SnapshotTable> tables, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        await using var connection = new NpgsqlConnection(database.ToConnectionString());
        await connection.OpenAsync(cancellationToken);
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {Postgres.PgIdentifier.Quote(table.Schema, table.Name)}", connection);
            var restored = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            if (restored != table.KeptRows)
            {
                failures.Add($"{table.QualifiedName}: {restored} rows restored, {table.KeptRows} written");
            }
        }

        return failures;
    }

    /// <summary>Seconds since the last lap, and starts the next.</summary>
    private static double Lap(Stopwatch watch)
    {
        var seconds = Math.Round(watch.Elapsed.TotalSeconds, 3);
        watch.Restart();
        return seconds;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<SandboxCluster?> StartedOrNullAsync(Task<SandboxCluster> starting)
    {
        try
        {
            return await starting;
        }
        catch (Exception e) when (e is SandboxException or OperationCanceledException)
        {
            return null;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
