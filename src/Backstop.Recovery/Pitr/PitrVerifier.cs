using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backstop.Core.Environments;
using Backstop.Postgres.Connections;
using Backstop.Recovery.Catalog;
using Backstop.Recovery.Drills;
using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// <c>backstop pitr verify</c>: a PITR drill. Makes a clone (by default of now), then checks it as a restore drill
/// checks a restored backup: pg_amcheck over every table and B-tree index, every row of every table read (a
/// fingerprint), and no constraint NOT VALID that is valid on the source. The outcome is recorded in the catalog
/// (kind <c>pitr</c>, the target as the drilled "backup").
/// </summary>
public static class PitrVerifier
{
    public static async Task<VerifyResult> VerifyAsync(PitrStanza stanza, EnvironmentConnector connector, IBackupCatalog catalog, VerifyOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var environment = stanza.Environment;
        var started = options.Clock.GetUtcNow();
        var durations = new Dictionary<string, double>(StringComparer.Ordinal);
        var step = Stopwatch.StartNew();
        CloneResult clone;
        try
        {
            clone = await PitrCloner.CloneAsync(stanza, connector, options.CloneOptions, progress, cancellationToken);
        }
        catch (PitrException e) when (!e.IsUsageError)
        {
            await RecordAsync(catalog, environment.Name, options.CloneOptions.Time ?? options.CloneOptions.Lsn ?? "now", started, options.Clock, [new DrillFailure("clone", environment.Name, e.Message)], durations, cancellationToken);
            throw;
        }

        durations["clone"] = Seconds(step);
        var failures = new List<DrillFailure>();
        var database = connector.ResolveUrl(environment).Database;
        var owner = stanza.BackRest.Owner.Name;
        DatabaseFingerprint? fingerprint = null;
        IReadOnlySet<string>? sourceNotValid = null;
        try
        {
            progress?.Report($"reading every table of '{database}' on the clone");
            step.Restart();
            try
            {
                fingerprint = await FingerprintAsync(PitrCloner.OwnerConnectionString(clone.Cluster, owner, database), progress, cancellationToken);
            }
            catch (PostgresException e)
            {
                failures.Add(new DrillFailure("rows", database, $"{e.SqlState}: {e.MessageText}"));
            }

            durations["rows"] = Seconds(step);
            progress?.Report("pg_amcheck on every table and index of the clone");
            step.Restart();
            var socketUrl = PgUrl.Parse($"postgresql://{Uri.EscapeDataString(owner)}@/{Uri.EscapeDataString(database)}?host={Uri.EscapeDataString(clone.Cluster.Info.Directory)}&port={clone.Cluster.Info.Port.ToString(CultureInfo.InvariantCulture)}");
            failures.AddRange(await DrillChecks.AmCheckAsync(socketUrl, options.Jobs, thorough: false, cancellationToken));
            durations["amcheck"] = Seconds(step);

            step.Restart();
            sourceNotValid = await SourceNotValidAsync(connector, environment, cancellationToken);
            if (fingerprint is not null && sourceNotValid is not null)
            {
                failures.AddRange(fingerprint.NotValidConstraints.Where(c => !sourceNotValid.Contains(c))
                    .Select(c => new DrillFailure("constraints", c, "the constraint is NOT VALID on the clone but valid on the source")));
            }

            durations["constraints"] = Seconds(step);
        }
        finally
        {
            if (!options.Keep)
            {
                await clone.Cluster.StopAsync(CancellationToken.None);
            }
        }

        var id = await RecordAsync(catalog, environment.Name, RecoveryTarget.Display(clone.Target), started, options.Clock, failures, durations, cancellationToken, fingerprint);
        return new VerifyResult
        {
            DrillId = id,
            CloneResult = clone,
            Failures = failures,
            Tables = fingerprint?.Tables.Count ?? 0,
            Rows = fingerprint?.TotalRows ?? 0,
            Durations = durations,
            ConstraintsSkipped = sourceNotValid is null,
            Kept = options.Keep,
        };
    }

    /// <summary>Every row of every table, read in one snapshot.</summary>
    internal static async Task<DatabaseFingerprint> FingerprintAsync(string connectionString, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var fingerprint = await Fingerprinter.TakeAsync(connection, progress, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return fingerprint;
    }

    /// <summary>The source's NOT VALID constraints; null when the source cannot be reached now.</summary>
    private static async Task<IReadOnlySet<string>?> SourceNotValidAsync(EnvironmentConnector connector, Core.Configuration.EnvironmentConfig environment, CancellationToken cancellationToken)
    {
        try
        {
            await using var source = await connector.OpenAsync(environment, cancellationToken);
            return await NotValidConstraints.ReadAsync(source.Connection, cancellationToken);
        }
        catch (ConnectionFailedException)
        {
            return null;
        }
    }

    private static async Task<long> RecordAsync(
        IBackupCatalog catalog,
        string environment,
        string target,
        DateTimeOffset started,
        TimeProvider clock,
        IReadOnlyList<DrillFailure> failures,
        IReadOnlyDictionary<string, double> durations,
        CancellationToken cancellationToken,
        DatabaseFingerprint? fingerprint = null)
    {
        var first = failures.Count > 0 ? failures[0] : null;
        return await catalog.AddDrillAsync(
            new DrillEntry
            {
                Environment = environment,
                BackupId = target,
                Kind = "pitr",
                StartedAt = started,
                FinishedAt = clock.GetUtcNow(),
                Passed = first is null,
                FailedCheck = first?.Check,
                FailedObject = first?.Object,
                Message = first is null
                    ? $"clone at {target}: {fingerprint?.Tables.Count ?? 0} tables, {fingerprint?.TotalRows ?? 0} rows read, amcheck clean"
                    : string.Join("; ", failures.Take(5).Select(f => f.ToString())),
                Durations = JsonSerializer.Serialize(durations),
            },
            cancellationToken);
    }

    private static double Seconds(Stopwatch step) => Math.Round(step.Elapsed.TotalSeconds, 2);
}
