using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Backstop.Postgres.Sandbox;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Runs a restored clone's recovery to its target and proves it got there (docs: "Server Configuration → Recovery
/// Target"). With <c>recovery_target_action = pause</c> the server pauses exactly when replay reaches the target:
/// just before the first commit after it, logging "recovery stopping before commit of transaction N, time T". If the
/// archive ends first, PostgreSQL 13+ stops with "recovery ended before configured recovery target was reached".
/// </summary>
internal static partial class CloneRecovery
{
    public static async Task StartAsync(SandboxCluster clone, PitrFailureContext failure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await clone.StartRestoredAsync(CloneRestore.Settings(clone, failure.Target), timeout, cancellationToken);
        }
        catch (SandboxException e)
        {
            throw failure.FromLog(clone, e.Message);
        }
    }

    /// <summary>Waits until replay pauses at the target, then checks the server's own account of where it stopped.</summary>
    public static async Task<RecoveryConfirmation> WaitForTargetAsync(SandboxCluster clone, string connectionString, PitrFailureContext failure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (!File.Exists(Path.Combine(clone.Info.DataDirectory, "postmaster.pid")))
            {
                throw failure.FromLog(clone, "the clone's server stopped during recovery");
            }

            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand(
                    "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END, pg_last_xact_replay_timestamp(), pg_last_wal_replay_lsn()", connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                if (!reader.GetBoolean(0))
                {
                    throw new PitrException($"the clone {clone.Info.Name} ended recovery without pausing at the target, so it may hold later changes; it was removed");
                }

                if (reader.GetString(1) == "paused")
                {
                    var lastReplayed = reader.IsDBNull(2) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(2);
                    var replayedTo = reader.IsDBNull(3) ? (NpgsqlLogSequenceNumber?)null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(3);
                    return failure.Target.Lsn is { } lsn
                        ? ConfirmLsn(clone, failure, lsn, lastReplayed, replayedTo)
                        : Confirm(clone, failure, lastReplayed) with { LastReplayedLsn = replayedTo };
                }
            }
            catch (NpgsqlException) when (clock.Elapsed < timeout)
            {
                // Still starting up, or not yet consistent (57P03): try again.
            }

            if (clock.Elapsed > timeout)
            {
                throw new PitrException($"the clone {clone.Info.Name} did not reach the target within {timeout.TotalMinutes:0} minutes of replay; its log is {failure.LogCopy(clone)}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Ends recovery: the clone becomes a server of its own on a new timeline (docs: "pg_promote").</summary>
    public static async Task PromoteAsync(SandboxCluster clone, string connectionString, PitrFailureContext failure, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var promote = new NpgsqlCommand("SELECT pg_promote(true, 60)", connection) { CommandTimeout = 90 })
        {
            if (!(bool)(await promote.ExecuteScalarAsync(cancellationToken))!)
            {
                throw new PitrException($"the clone {clone.Info.Name} did not finish promotion within 60 s; its log is {failure.LogCopy(clone)}");
            }
        }

        await using var check = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
        if ((bool)(await check.ExecuteScalarAsync(cancellationToken))!)
        {
            throw new PitrException($"the clone {clone.Info.Name} is still in recovery after promotion; its log is {failure.LogCopy(clone)}");
        }
    }

    private static RecoveryConfirmation Confirm(SandboxCluster clone, PitrFailureContext failure, DateTimeOffset? lastReplayed)
    {
        var target = failure.Target.Time!.Value;
        var log = ReadLog(clone);
        var stop = StopLine().Matches(log).LastOrDefault() ?? throw NotLogged(clone, failure, log);

        if (lastReplayed is { } replayed && replayed > target)
        {
            throw new PitrException($"the clone replayed a commit at {RecoveryTarget.Display(replayed)}, after the target {RecoveryTarget.Display(target)}; it is not the requested point in time");
        }

        DateTimeOffset? stoppedAt = TryParseLogTime(stop.Groups[3].Value, out var parsed) ? parsed : null;
        if (stoppedAt is { } next && next <= target)
        {
            throw new PitrException($"the clone stopped before a commit at {RecoveryTarget.Display(next)}, which is not after the target {RecoveryTarget.Display(target)}");
        }

        return new RecoveryConfirmation
        {
            LastReplayedCommit = lastReplayed,
            StoppedBeforeTransaction = $"{stop.Groups[1].Value} of transaction {stop.Groups[2].Value}",
            StoppedBeforeTime = stoppedAt,
        };
    }

    /// <summary>
    /// A location target: the server logs "recovery stopping before WAL location (LSN) "X/Y"" (exclusive) or "… after …"
    /// (inclusive) at the first record at or past it (docs: "recovery_target_lsn"; xlogrecovery.c recoveryStopsBefore
    /// and recoveryStopsAfter). Exclusive, nothing at or past the target was replayed: pg_last_wal_replay_lsn(), the
    /// end of the last replayed record, is at most the target. Inclusive, the record at the target was replayed.
    /// </summary>
    private static RecoveryConfirmation ConfirmLsn(SandboxCluster clone, PitrFailureContext failure, NpgsqlLogSequenceNumber target, DateTimeOffset? lastReplayed, NpgsqlLogSequenceNumber? replayedTo)
    {
        var log = ReadLog(clone);
        var stop = LsnStopLine().Matches(log).LastOrDefault() ?? throw NotLogged(clone, failure, log);
        var after = stop.Groups[1].Value == "after";
        var at = NpgsqlLogSequenceNumber.Parse(stop.Groups[2].Value);
        if (after != failure.Target.Inclusive || at < target)
        {
            throw new PitrException($"the clone stopped {stop.Groups[1].Value} WAL location {at}, not at {failure.Target.Display}; it is not the requested point");
        }

        if (!after && replayedTo is { } end && end > target)
        {
            throw new PitrException($"the clone replayed WAL up to {end}, past the target {failure.Target.Display}; it is not the requested point");
        }

        return new RecoveryConfirmation
        {
            LastReplayedCommit = lastReplayed,
            LastReplayedLsn = replayedTo,
            StoppedBeforeTransaction = $"record at WAL location {at}",
            StoppedAtLsn = at,
            StoppedAfter = after,
        };
    }

    private static PitrException NotLogged(SandboxCluster clone, PitrFailureContext failure, string log)
    {
        var reason = log.Contains("insufficient parameter settings", StringComparison.Ordinal)
            ? "the clone's settings are lower than the source's (max_connections, max_worker_processes, …), so replay paused before the target"
            : "replay paused, but the server did not log reaching the target";
        return new PitrException($"{reason}; the clone is not at {failure.Target.Display}. Its log ({failure.LogCopy(clone)}) ends with: {Tail(log)}");
    }

    public static string ReadLog(SandboxCluster clone)
    {
        try
        {
            return File.Exists(clone.Info.LogFile) ? File.ReadAllText(clone.Info.LogFile) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The log's last errors (or last lines), on one line, for a message.</summary>
    public static string Tail(string log)
    {
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => l.Contains("FATAL:", StringComparison.Ordinal) || l.Contains("ERROR:", StringComparison.Ordinal) || l.Contains("PANIC:", StringComparison.Ordinal)).TakeLast(4).ToList();
        return string.Join(" | ", errors.Count > 0 ? errors : lines.TakeLast(4));
    }

    /// <summary>PostgreSQL writes the stop time as ISO with a numeric offset, e.g. <c>2026-11-21 15:05:12.660506+00</c>.</summary>
    private static bool TryParseLogTime(string text, out DateTimeOffset time)
    {
        var normalized = text.Trim();
        if (ShortOffset().IsMatch(normalized))
        {
            normalized += ":00";
        }

        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    [GeneratedRegex(@"recovery stopping before (commit|abort) of transaction (\d+), time ([^\r\n]+)")]
    private static partial Regex StopLine();

    [GeneratedRegex(@"recovery stopping (before|after) WAL location \(LSN\) ""([0-9A-F]+/[0-9A-F]+)""")]
    private static partial Regex LsnStopLine();

    [GeneratedRegex(@"[+-]\d{2}$")]
    private static partial Regex ShortOffset();
}
