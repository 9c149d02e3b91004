using System.Diagnostics;
using System.Globalization;
using Backstop.Core.Configuration;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Tools;
using Backstop.Recovery.Catalog;
using Backstop.Recovery.Drills;
using Npgsql;

namespace Backstop.Recovery.Backups;

/// <summary>How far a backup has got, for the terminal.</summary>
public sealed record BackupProgress(string Phase, int TablesDone = 0, int TablesTotal = 0);

/// <summary>
/// <c>backstop backup run</c>: a logical backup with pg_dump (directory format, parallel jobs) from a snapshot this
/// class exports and holds open, so that the row counts and fingerprints it takes in that same snapshot describe
/// exactly the data in the dump. The backup enters the catalog as usable only after the dump, the checksums and the
/// manifest are all written and the directory has been renamed from <c>.partial-ID</c> to <c>ID</c>.
/// </summary>
public sealed class BackupRunner(IBackupCatalog catalog, BackupRepository repository, TimeProvider clock)
{
    /// <param name="connection">an open connection to the database to back up (the snapshot is exported from it).</param>
    /// <param name="url">the same database, for pg_dump.</param>
    public async Task<(BackupEntry Entry, BackupManifest Manifest)> RunAsync(
        string environment, NpgsqlConnection connection, PgUrl url, ServerIdentity identity, BackupSettings settings,
        IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        repository.EnsureExists();
        await SettleAsync(catalog, repository, environment, cancellationToken);
        var started = clock.GetUtcNow();
        var taken = (await catalog.ListAsync(environment, cancellationToken)).Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        var id = repository.NewId(started, taken);
        var partial = repository.PartialPathOf(id);
        Directory.CreateDirectory(partial);

        // Held for the whole run: a run is alive exactly while its lock is held (PIDs repeat, in containers every run is PID 1).
        var lockPath = repository.LockPathOf(id);
        await using var held = new FileStream(lockPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        var entry = new BackupEntry
        {
            Environment = environment,
            Id = id,
            Kind = "logical",
            Status = BackupStatus.Running,
            Path = repository.PathOf(id),
            Database = identity.Database,
            SystemIdentifier = identity.SystemIdentifier,
            StartedAt = started,
            ProcessId = Environment.ProcessId,
        };
        await catalog.AddAsync(entry, cancellationToken);
        var moved = false;
        try
        {
            var manifest = await WriteBackupAsync(environment, id, partial, connection, url, identity, settings, started, progress, cancellationToken);
            progress?.Report(new BackupProgress("finishing"));
            await DirectorySync.SyncAsync(partial, cancellationToken);
            Directory.Move(partial, entry.Path);
            moved = true;
            // The backup is whole once renamed: a cancel now would throw it away for the sake of a moment's wait.
            await DirectorySync.SyncAsync(Path.GetDirectoryName(Path.GetFullPath(entry.Path))!, CancellationToken.None);
            entry = entry with
            {
                Status = BackupStatus.Complete,
                FinishedAt = clock.GetUtcNow(),
                SizeBytes = manifest.TotalBytes,
                Tables = manifest.Fingerprint.Tables.Count,
                Rows = manifest.Fingerprint.TotalRows,
            };
            await catalog.UpdateAsync(entry, CancellationToken.None);
            return (entry, manifest);
        }
        catch (Exception e)
        {
            var reason = e is OperationCanceledException ? "cancelled" : e.Message;
            await catalog.UpdateAsync(entry with { Status = BackupStatus.Failed, FinishedAt = clock.GetUtcNow(), Message = reason }, CancellationToken.None);
            TryDelete(moved ? entry.Path : partial);
            throw;
        }
        finally
        {
            await held.DisposeAsync();
            TryDeleteFile(lockPath);
        }
    }

    private async Task<BackupManifest> WriteBackupAsync(
        string environment, string id, string partial, NpgsqlConnection connection, PgUrl url, ServerIdentity identity, BackupSettings settings,
        DateTimeOffset started, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        progress?.Report(new BackupProgress("reading sequences"));

        // Sequences are not transactional: read before the dump, a restore must hold at least these values.
        var sequences = await Fingerprinter.ReadSequencesAsync(connection, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        string snapshot;
        DateTimeOffset snapshotTime;
        string serverVersion;
        string encoding;
        await using (var command = new NpgsqlCommand(
            "SET TRANSACTION READ ONLY; SELECT pg_export_snapshot(), statement_timestamp(), current_setting('server_version'), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()",
            connection,
            transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            snapshot = reader.GetString(0);
            snapshotTime = reader.GetFieldValue<DateTimeOffset>(1);
            serverVersion = reader.GetString(2);
            encoding = reader.GetString(3);
        }

        var rolesIncluded = await DumpRolesAsync(url, Path.Combine(partial, "roles.sql"), cancellationToken);
        var pgDumpVersion = (await ClientTool.RunAsync("pg_dump", ["--version"], null, cancellationToken: cancellationToken)).Output.Trim();

        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tablesDone = 0;
        var tablesTotal = 0;
        var dump = ClientTool.RunAsync(
            "pg_dump",
            [
                "--format=directory", "--jobs", settings.Jobs.ToString(CultureInfo.InvariantCulture), "--compress", settings.Compression.ToString(CultureInfo.InvariantCulture),
                "--snapshot", snapshot, "--no-password", "--verbose", "--file", Path.Combine(partial, "dump"),
            ],
            url,
            line =>
            {
                if (line.Contains("dumping contents of table", StringComparison.Ordinal))
                {
                    progress?.Report(new BackupProgress("dumping", Interlocked.Increment(ref tablesDone), Volatile.Read(ref tablesTotal)));
                }
            },
            failFast.Token);

        DatabaseFingerprint fingerprint;
        try
        {
            progress?.Report(new BackupProgress("dumping"));
            fingerprint = await Fingerprinter.TakeAsync(connection, sequences, null, failFast.Token);
            Volatile.Write(ref tablesTotal, fingerprint.Tables.Count);
        }
        catch
        {
            await failFast.CancelAsync();
            await IgnoreFailureAsync(dump);
            throw;
        }

        var result = await dump;
        if (!result.Succeeded)
        {
            throw new BackupException($"pg_dump failed (exit {result.ExitCode}): {result.ErrorSummary()}");
        }

        await transaction.CommitAsync(cancellationToken);
        progress?.Report(new BackupProgress("checksums", fingerprint.Tables.Count, fingerprint.Tables.Count));
        var files = await BackupManifest.HashFilesAsync(partial, cancellationToken);
        var manifest = new BackupManifest
        {
            Id = id,
            Environment = environment,
            Database = identity.Database,
            SystemIdentifier = identity.SystemIdentifier,
            ServerVersion = serverVersion,
            Encoding = encoding,
            PgDumpVersion = pgDumpVersion,
            SnapshotTime = snapshotTime,
            StartedAt = started,
            FinishedAt = clock.GetUtcNow(),
            Jobs = settings.Jobs,
            Compression = settings.Compression,
            RolesIncluded = rolesIncluded,
            Files = files,
            Fingerprint = fingerprint,
        };
        manifest.Write(partial);
        return manifest;
    }

    /// <summary>The cluster's roles without passwords, so that a restore can give objects their owners and grants back.</summary>
    private static async Task<bool> DumpRolesAsync(PgUrl url, string file, CancellationToken cancellationToken)
    {
        var result = await ClientTool.RunAsync("pg_dumpall", ["--roles-only", "--no-role-passwords", "--no-password", "--database", url.Database, "--file", file], url, cancellationToken: cancellationToken);
        if (!result.Succeeded)
        {
            TryDeleteFile(file);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Settles what earlier runs left: a "running" entry whose process is gone is Complete if its directory was renamed
    /// (the manifest is written before the rename), else Interrupted; leftover <c>.partial-</c> directories of runs that
    /// are not running are removed.
    /// </summary>
    public static async Task SettleAsync(IBackupCatalog catalog, BackupRepository repository, string environment, CancellationToken cancellationToken)
    {
        var running = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in await catalog.ListAsync(environment, cancellationToken))
        {
            if (entry.Status != BackupStatus.Running || entry.Kind != "logical")
            {
                continue;
            }

            if (IsAlive(repository.LockPathOf(entry.Id)))
            {
                running.Add(entry.Id);
                continue;
            }

            var complete = File.Exists(Path.Combine(entry.Path, BackupManifest.FileName));
            var settled = complete
                ? entry with { Status = BackupStatus.Complete, SizeBytes = BackupRepository.SizeOf(entry.Path), FinishedAt = entry.FinishedAt ?? entry.StartedAt }
                : entry with { Status = BackupStatus.Interrupted, Message = "the backup process stopped before the backup was complete (killed or crashed)" };
            if (complete)
            {
                var manifest = BackupManifest.Read(entry.Path);
                settled = settled with { Tables = manifest.Fingerprint.Tables.Count, Rows = manifest.Fingerprint.TotalRows, FinishedAt = manifest.FinishedAt };
            }

            await catalog.UpdateAsync(settled, cancellationToken);
        }

        if (!Directory.Exists(repository.Directory))
        {
            return;
        }

        foreach (var directory in Directory.GetDirectories(repository.Directory, BackupRepository.PartialPrefix + "*"))
        {
            if (!running.Contains(Path.GetFileName(directory)[BackupRepository.PartialPrefix.Length..]))
            {
                TryDelete(directory);
            }
        }
    }

    /// <summary>Whether the run that holds <paramref name="lockPath"/> is still going: its lock cannot be taken.</summary>
    private static bool IsAlive(string lockPath)
    {
        if (!File.Exists(lockPath))
        {
            return false;
        }

        try
        {
            using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
            }

            TryDeleteFile(lockPath);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static async Task IgnoreFailureAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
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

    private static void TryDeleteFile(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
    }
}
