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
    internal const string SessionSettings = "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

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

            var step = Stopwatch.StartNew();

            // The dump's skeleton (a sandbox, production's schema, pg_dump) is made while the tables are read into
            // files of their own; they take the names of its data files after.
            using var skeletonFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var skeleton = Task.Run(
                async () =>
                {
                    sandbox = await starting;
                    var made = await DumpSkeleton.CreateAsync(request.Url, snapshot, PgUrl.Parse(sandbox.Url), partial, dump, sequences, skeletonFailed.Token);
                    durations["schema"] = Math.Round(step.Elapsed.TotalSeconds, 3);
                    return made;
                },
                skeletonFailed.Token);
            var staging = Path.Combine(partial, "data");
            Directory.CreateDirectory(staging);
            var rules = request.Settings.Tables.ToDictionary(r => $"{r.Schema}.{r.Table}", StringComparer.Ordinal);
            var reads = plan.Tables.Select((table, i) => (
                Read: TableRead.Build(table, table.Columns.Select(c => c.Name).ToList(), rules.GetValueOrDefault(table.QualifiedName), plan, request.Maskers, request.Key),
                Entry: new DataEntry(table.Schema, table.Name, Path.Combine(staging, $"{i}.dat"), table.Columns.Select(c => c.Name).ToList()))).ToList();

            // Sampled before any row is written, so that every character written is searched as it is written.
            progress?.Report(new SnapshotProgress("sampling masked columns for the leak scan"));
            var samples = new LeakSamples();
            foreach (var (read, _) in reads)
            {
                foreach (var column in read.Columns.Where(Scanned))
                {
                    await SnapshotReader.SampleAsync(connection, transaction, read, column, request.LeakSamplesPerColumn, samples, cancellationToken);
                }
            }

            var matcher = new LeakMatcher(samples);
            durations["sample"] = Lap(step);
            IReadOnlyList<SnapshotTable> tables;
            try
            {
                tables = await SnapshotReader.ReadTablesAsync(request, snapshot, plan, reads, matcher, progress, cancellationToken);
            }
            catch
            {
                await skeletonFailed.CancelAsync();
                await Task.WhenAny(skeleton);
                throw;
            }

            var entries = await skeleton;
            await PlaceDataFilesAsync(connection, reads, entries, matcher, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            Directory.Delete(staging, recursive: true);
            await DirectorySync.SyncAsync(dump, cancellationToken);
            durations["read"] = Lap(step);
            var scanned = entries.Values.Select(e => Path.GetFileName(e.File)).ToHashSet(StringComparer.Ordinal);
            var (drill, scan) = await SnapshotProof.ProveAsync(sandbox!, partial, tables, matcher, scanned, request.Jobs, durations, progress, cancellationToken);
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
                Message = usable ? null : SnapshotProof.FailureMessage(drill, scan),
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

    /// <summary>
    /// Gives each table's file the name of its data file in the dump. pg_dump lists a table's columns in the order
    /// of the database it dumped: where that is not the source's (a column an inheritance parent gained after its
    /// child was made), the table is read again in the dump's order, in the same snapshot.
    /// </summary>
    private static async Task PlaceDataFilesAsync(
        NpgsqlConnection connection, List<(TableRead Read, DataEntry Entry)> reads, IReadOnlyDictionary<string, DataEntry> entries, LeakMatcher matcher, CancellationToken cancellationToken)
    {
        foreach (var (read, staged) in reads)
        {
            var entry = entries.GetValueOrDefault(read.Table.QualifiedName)
                ?? throw new SnapshotException($"{read.Table.QualifiedName} has no data entry in the schema's dump; run the snapshot again");
            if (entry.Columns.SequenceEqual(staged.Columns, StringComparer.Ordinal))
            {
                File.Move(staged.File, entry.File, overwrite: true);
                continue;
            }

            File.Delete(staged.File);
            var reordered = read.WithColumnOrder(entry.Columns);
            await TableCopier.CopyAsync(connection, reordered, entry.File, matcher.Scanner($"{read.Table.QualifiedName} data file"), _ => { }, cancellationToken);
        }
    }

    /// <summary>Seconds since the last lap, and starts the next.</summary>
    internal static double Lap(Stopwatch watch)
    {
        var seconds = Math.Round(watch.Elapsed.TotalSeconds, 3);
        watch.Restart();
        return seconds;
    }

    internal static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
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

    /// <summary>
    /// Whether a masked column's original values are searched for. Not a shuffled column (it keeps its values by design,
    /// on other rows), a <c>set:</c> constant, a date shift, or a column of a non-text type: their outputs are drawn from
    /// the same small space as the originals (dates, numbers), so another row's original turning up is no leak.
    /// </summary>
    private static bool Scanned(ColumnRead column) =>
        column.Rule.Kind is not (MaskKind.Keep or MaskKind.Shuffle or MaskKind.Set or MaskKind.Null)
        && !(column.Rule.Kind == MaskKind.Fake && column.Rule.Argument == "date_shift")
        && TextLike(column.Column.TypeName);

    private static bool TextLike(string type) =>
        type is "text" or "citext" or "json" or "jsonb" or "xml" or "inet" or "cidr" or "bytea"
        || type.StartsWith("character", StringComparison.Ordinal) || type.StartsWith("varchar", StringComparison.Ordinal) || type.StartsWith("char", StringComparison.Ordinal);
}
