using System.Globalization;
using Backstop.Core.Environments;
using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// <c>backstop pitr backup</c>: a pgBackRest backup of the whole cluster (full when the repository has none,
/// incremental otherwise, unless a type is asked for), recorded in the backup catalog as kind <c>pitr</c> with
/// pgBackRest's label as its id. Together with the archived WAL, it is the base a clone is restored from.
/// </summary>
public static class PitrBackupRunner
{
    public static readonly IReadOnlyList<string> Types = ["full", "diff", "incr"];

    public static async Task<BackupEntry> RunAsync(PitrStanza stanza, ConnectedEnvironment source, IBackupCatalog catalog, string? type, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (type is not null && !Types.Contains(type))
        {
            throw new PitrException($"the backup type '{type}' is not one of full, diff, incr", isUsageError: true);
        }

        var before = await stanza.InfoAsync(cancellationToken);
        var usable = before.Backups.Where(b => !b.HasErrors).ToList();
        type ??= usable.Count == 0 ? "full" : "incr";
        var started = DateTimeOffset.UtcNow;
        progress?.Report($"{type} backup of environment '{stanza.Environment.Name}' into {stanza.Layout.Repository}");
        var result = await stanza.BackRest.RunAsync("backup", [$"--type={type}"], cancellationToken);
        var after = await stanza.InfoAsync(cancellationToken);
        var known = before.Backups.Select(b => b.Label).ToHashSet(StringComparer.Ordinal);
        var made = after.Backups.LastOrDefault(b => !known.Contains(b.Label));
        if (!result.Succeeded || made is null)
        {
            var failed = new BackupEntry
            {
                Environment = stanza.Environment.Name,
                Id = "pitr-failed-" + started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture),
                Kind = "pitr",
                Status = BackupStatus.Failed,
                Path = stanza.Layout.Repository,
                Database = source.Identity.Database,
                SystemIdentifier = source.Identity.SystemIdentifier,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Message = result.ErrorSummary(),
                ProcessId = Environment.ProcessId,
            };
            await catalog.AddAsync(failed, cancellationToken);
            throw new PitrException($"pgBackRest backup of environment '{stanza.Environment.Name}' failed: {result.ErrorSummary()} (its log: {stanza.Layout.LogDirectory})");
        }

        var entry = new BackupEntry
        {
            Environment = stanza.Environment.Name,
            Id = made.Label,
            Kind = "pitr",
            Status = made.HasErrors ? BackupStatus.Failed : BackupStatus.Complete,
            Path = Path.Combine(stanza.Layout.Repository, "backup", stanza.Layout.Stanza, made.Label),
            Database = source.Identity.Database,
            SystemIdentifier = source.Identity.SystemIdentifier,
            StartedAt = made.StartedAt,
            FinishedAt = made.StoppedAt,
            SizeBytes = made.RepositoryBytes,
            Message = made.HasErrors
                ? "pgBackRest found errors while copying (page checksums?)"
                : $"{made.Type} backup of a {FormatBytes(made.DatabaseBytes)} cluster, WAL {made.WalStart} to {made.WalStop}",
            ProcessId = Environment.ProcessId,
        };
        await catalog.AddAsync(entry, cancellationToken);
        if (made.HasErrors)
        {
            throw new PitrException(
                $"pgBackRest backup {made.Label} of environment '{stanza.Environment.Name}' found errors while copying (page checksums?), so it is recorded as failed; " +
                $"see `pgbackrest --config={stanza.Layout.ConfigFile} --stanza={stanza.Layout.Stanza} info --set={made.Label}` and its log in {stanza.Layout.LogDirectory}");
        }

        return entry;
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
