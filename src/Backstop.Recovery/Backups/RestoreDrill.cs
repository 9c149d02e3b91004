using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Catalog;
using Backstop.Recovery.Drills;
using Npgsql;

namespace Backstop.Recovery.Backups;

/// <summary>What a drill found.</summary>
public sealed record DrillResult(DrillEntry Entry, IReadOnlyList<DrillFailure> Failures, string? SandboxUrl)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>
/// <c>backstop backup verify</c>, the restore drill: the manifest's checksums, a restore with pg_restore into a
/// sandbox cluster, every table's row count and fingerprint against those taken in the backup's snapshot, sequences,
/// large objects and schema objects, pg_amcheck on every table and index, and constraints valid. The outcome is
/// recorded in the catalog either way; only a passed drill proves a backup.
/// </summary>
public sealed class RestoreDrill(IBackupCatalog catalog, TimeProvider clock)
{
    /// <summary>
    /// The drill's cluster is thrown away afterwards, so it is set up for a fast restore: no WAL beyond what crash
    /// recovery needs (<c>wal_level = minimal</c>: index builds and loads into new tables skip it), rare checkpoints,
    /// memory for index builds, no autovacuum. None of this changes what is restored or checked.
    /// </summary>
    private static readonly string[] StepOrder = ["manifest", "sandbox", "restore", "data", "amcheck"];

    public static readonly IReadOnlyDictionary<string, string> RestoreSettings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["wal_level"] = "minimal",
        ["max_wal_senders"] = "0",
        ["max_wal_size"] = "8GB",
        ["checkpoint_timeout"] = "30min",
        ["maintenance_work_mem"] = "512MB",
        ["shared_buffers"] = "256MB",
        ["autovacuum"] = "off",
    };

    /// <param name="thorough">pg_amcheck with <c>--heapallindexed --rootdescend</c> (see <see cref="DrillChecks.AmCheckAsync"/>).</param>
    public async Task<DrillResult> RunAsync(BackupEntry backup, int jobs, bool keepSandbox, IProgress<string>? progress, bool thorough, CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        var durations = new System.Collections.Concurrent.ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        var failures = new List<DrillFailure>();
        SandboxCluster? sandbox = null;
        string? sandboxUrl = null;
        // The cluster starts while the manifest is checked (both take a second or so); it is stopped unused if a file is bad.
        var starting = StepAsync("sandbox", durations, null, () => SandboxCluster.StartAsync(
            new SandboxOptions { Name = $"drill-{backup.Id}-{Guid.NewGuid().ToString("N")[..4]}", Settings = RestoreSettings },
            null,
            cancellationToken));
        try
        {
            var manifest = await StepAsync("manifest", durations, progress, async () =>
            {
                var (read, damaged) = await ManifestCheck.CheckBackupAsync(backup.Path, cancellationToken);
                failures.AddRange(damaged);
                return read;
            });

            sandbox = await starting;
            if (manifest is not null && failures.Count == 0)
            {
                var maintenance = PgUrl.Parse(sandbox.Url);
                var target = maintenance.WithDatabase(manifest.Database);
                sandboxUrl = target.ToString();
                var restored = await StepAsync("restore", durations, progress, async () =>
                {
                    try
                    {
                        if (manifest.RolesIncluded)
                        {
                            await DumpRestorer.CreateRolesAsync(backup.Path, maintenance, cancellationToken);
                        }

                        await DumpRestorer.CreateDatabaseAsync(maintenance, manifest.Database, cancellationToken, manifest.Encoding);
                        await DumpRestorer.RestoreAsync(backup.Path, target, jobs, clean: false, owners: manifest.RolesIncluded, null, cancellationToken);
                        return true;
                    }
                    catch (BackupException e)
                    {
                        failures.Add(new("restore", "dump", e.Message));
                        return false;
                    }
                });

                if (restored)
                {
                    // Both only read the restored database: the data checks run beside pg_amcheck.
                    var data = StepAsync("data", durations, progress, async () =>
                    {
                        await using var connection = new NpgsqlConnection(target.ToConnectionString());
                        await connection.OpenAsync(cancellationToken);
                        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                        var actual = await Fingerprinter.TakeAsync(connection, null, cancellationToken, manifest.Format >= 2 ? Fingerprinter.CurrentFormat : 1);
                        return DrillChecks.Compare(manifest.Fingerprint, actual);
                    });
                    var amcheck = StepAsync("amcheck", durations, progress, () => DrillChecks.AmCheckAsync(target, jobs, thorough, cancellationToken));
                    failures.AddRange(await data);
                    failures.AddRange(await amcheck);
                }
            }
        }
        finally
        {
            sandbox ??= await StartedOrNullAsync(starting);
            if (sandbox is not null && (!keepSandbox || sandboxUrl is null))
            {
                await sandbox.StopAsync(immediate: true, CancellationToken.None);
                sandboxUrl = null;
            }
        }

        var first = failures.FirstOrDefault();
        var entry = new DrillEntry
        {
            Environment = backup.Environment,
            BackupId = backup.Id,
            Kind = "logical",
            StartedAt = started,
            FinishedAt = clock.GetUtcNow(),
            Passed = failures.Count == 0,
            FailedCheck = first?.Check,
            FailedObject = first?.Object,
            Message = failures.Count == 0 ? null : string.Join("; ", failures.Take(10).Select(f => f.ToString())),
            Durations = JsonSerializer.Serialize(durations.OrderBy(d => Array.IndexOf(StepOrder, d.Key)).ToDictionary(d => d.Key, d => d.Value)),
        };
        entry = entry with { Id = await catalog.AddDrillAsync(entry, CancellationToken.None) };
        return new DrillResult(entry, failures, sandboxUrl);
    }

    /// <summary>The sandbox of a drill that stopped before it was used: null if it failed to start (the error is reported by the step that awaited it).</summary>
    private static async Task<SandboxCluster?> StartedOrNullAsync(Task<SandboxCluster> starting)
    {
        try
        {
            return await starting;
        }
        catch (SandboxException)
        {
            return null;
        }
    }

    private static async Task<T> StepAsync<T>(string name, System.Collections.Concurrent.ConcurrentDictionary<string, double> durations, IProgress<string>? progress, Func<Task<T>> step)
    {
        progress?.Report(name);
        var watch = Stopwatch.StartNew();
        try
        {
            return await step();
        }
        finally
        {
            durations[name] = Math.Round(watch.Elapsed.TotalSeconds, 3);
        }
    }

    internal static string Seconds(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
