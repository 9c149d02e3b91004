using System.Diagnostics;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Backups;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// What makes a snapshot usable: the drill (pg_restore into the sandbox creates the keys and foreign keys over the
/// data; then every table's rows against the rows written) and the leak scan (the restored database, and the files
/// not already searched as they were written).
/// </summary>
internal static class SnapshotProof
{
    private const string DrillDatabase = "backstop_snapshot_drill";

    /// <summary>The drill (a restore with pg_restore, row counts as kept) and the leak scan of the files (beside the restore) and of the restored database.</summary>
    internal static async Task<(SnapshotDrill Drill, SnapshotLeakScan Scan)> ProveAsync(
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
                durations["scanFiles"] = SnapshotCreator.Lap(scanWatch);
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

        durations["restore"] = SnapshotCreator.Lap(step);

        var hits = new List<LeakHit>();
        if (restored)
        {
            progress?.Report(new SnapshotProgress("drill: checking row counts"));
            failures.AddRange(await CheckRowsAsync(target, tables, cancellationToken));
            durations["rows"] = SnapshotCreator.Lap(step);
            progress?.Report(new SnapshotProgress("leak scan"));
            hits.AddRange(await LeakScan.ScanDatabaseAsync(target.ToConnectionString(), matcher.Samples, jobs, cancellationToken));
            durations["scanDatabase"] = SnapshotCreator.Lap(step);
        }

        var drill = new SnapshotDrill(failures.Count == 0, Math.Round(watch.Elapsed.TotalSeconds, 3), failures);
        await fileScan;
        hits.AddRange(matcher.Hits);
        var distinct = hits.Distinct().OrderBy(h => h.Source, StringComparer.Ordinal).ThenBy(h => h.FoundIn, StringComparer.Ordinal).ToList();
        return (drill, new SnapshotLeakScan(distinct.Count == 0, matcher.Samples.Count, distinct));
    }

    internal static async Task<IReadOnlyList<string>> CheckRowsAsync(PgUrl database, IReadOnlyList<SnapshotTable> tables, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        await using var connection = new NpgsqlConnection(database.ToConnectionString());
        await connection.OpenAsync(cancellationToken);
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM ONLY {Postgres.PgIdentifier.Quote(table.Schema, table.Name)}", connection);
            var restored = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            if (restored != table.KeptRows)
            {
                failures.Add($"{table.QualifiedName}: {restored} rows restored, {table.KeptRows} written");
            }
        }

        return failures;
    }

    internal static string FailureMessage(SnapshotDrill drill, SnapshotLeakScan scan)
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
}
