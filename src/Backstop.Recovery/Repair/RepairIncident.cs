using Backstop.Core.Configuration;
using Backstop.Recovery.Pitr;
using Backstop.Recovery.Pitr.Wal;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// The mistake behind <c>repair --incident-at T</c>, found in the environment's WAL instead of guessed from a window:
/// of the transactions that wrote the repaired tables and committed at or after T, the one that wrote the most rows to
/// them (the nearer to T of two that wrote as many); when none committed after T (a time given a little late), the
/// same among those that committed up to <see cref="Lookback"/> before it. The two states compared are then exact: "before" is the environment just before that
/// transaction's commit record (every other transaction that committed before it included, none of its changes),
/// "after" just after it. Nothing else commits between the two, so the only rows that differ are the mistake's,
/// however long it ran and however busy the application was around it.
/// </summary>
public sealed record RepairIncident(WalTransaction Transaction, IReadOnlyList<WalTransaction> Others)
{
    /// <summary>How far before the given time a mistake's commit is still looked for: the time a person remembers is rough.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromSeconds(30);

    /// <summary>The source of the right values: a clone just before the mistake's commit record.</summary>
    public string Before => $"{RepairSourceSpec.PitrPrefix}{RepairSourceSpec.LsnPrefix}{Transaction.CommitLsn}{RepairSourceSpec.ExclusiveSuffix}";

    /// <summary>The state just after the mistake: a clone with its commit record replayed.</summary>
    public string After => $"{RepairSourceSpec.PitrPrefix}{RepairSourceSpec.LsnPrefix}{Transaction.CommitLsn}";

    /// <exception cref="RepairNotFoundException">no transaction wrote those tables in that time (the message says what WAL was read).</exception>
    public static async Task<RepairIncident> FindAsync(
        BackstopConfig config, EnvironmentConfig environment, NpgsqlConnection target, IReadOnlyList<RepairTable> tables, DateTimeOffset at,
        IProgress<string> progress, CancellationToken cancellationToken)
    {
        // Commit times in the WAL are the server's: so is the end of the range.
        DateTimeOffset now;
        await using (var clock = new NpgsqlCommand("SELECT clock_timestamp()", target))
        await using (var reader = await clock.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            now = reader.GetFieldValue<DateTimeOffset>(0);
        }

        var locators = new List<RelFileLocator>();
        foreach (var table in tables)
        {
            if (await RelFileLocator.ReadAsync(target, table.Quoted, cancellationToken) is { } locator)
            {
                locators.Add(locator);
            }
        }

        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        progress.Report($"looking in the WAL for the transaction that wrote {string.Join(", ", tables.Select(t => t.QualifiedName))} around {RecoveryTarget.Display(at)}");
        var history = await WalHistory.OpenAsync(stanza, target, progress, cancellationToken);
        var committed = (await history.WritersAsync(locators, at - Lookback, now + TimeSpan.FromMinutes(1), cancellationToken)).Where(w => w.Committed).ToList();
        var after = committed.Where(w => w.CommitTime >= at).ToList();
        var writers = (after.Count > 0 ? after : committed)
            .OrderByDescending(w => w.Records)
            .ThenBy(w => (w.CommitTime - at).Duration())
            .Concat(committed.Except(after.Count > 0 ? after : committed))
            .ToList();
        if (writers.Count == 0)
        {
            throw new RepairNotFoundException(
                $"no transaction that wrote {string.Join(", ", tables.Select(t => t.QualifiedName))} committed between {RecoveryTarget.Display(at - Lookback)} and now " +
                $"({history.Searched?.ToString() ?? "no WAL was read"}); nothing was repaired. Check the time, or give the window in which the mistake committed with --incident-window");
        }

        var incident = new RepairIncident(writers[0], writers.Skip(1).ToList());
        var found = incident.Transaction;
        progress.Report(
            $"the mistake: transaction {found.TransactionId}, {found.Records:N0} row changes from {found.FirstLsn} to its commit at {found.CommitLsn} ({RecoveryTarget.Display(found.CommitTime)}); " +
            $"{incident.Others.Count:N0} other transactions wrote these tables then and are kept");
        return incident;
    }
}

/// <summary>What a repair was to take back could not be found; nothing was repaired (exit 1).</summary>
public sealed class RepairNotFoundException(string message) : Exception(message);
