using System.Data.Common;
using System.Globalization;
using Backstop.Core.Team;
using static Backstop.Core.Team.TeamDatabase;

namespace Backstop.Core.Schedules;

/// <summary>
/// Schedule leases and runs in the state store (migration 0006), shared by every server process of a team. A slot is
/// claimed by one conditional update of the schedule's lease row (<c>last_slot &lt; slot</c> and no live lease):
/// PostgreSQL's row lock makes a second process re-read the row the first one wrote, and SQLite's write lock orders
/// them, so exactly one process runs each slot.
/// </summary>
public sealed class ScheduleRunStore(TeamDatabase database)
{
    private const string Columns = "id, environment, kind, slot, holder, started_at, finished_at, outcome, exit_code, message";

    private string T(string table) => database.Prefix + table;

    /// <returns>the run's id when claimed.</returns>
    public Task<(ScheduleClaim Claim, long RunId)> ClaimAsync(Schedule schedule, DateTimeOffset slot, string holder, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken) =>
        database.WriteAsync<(ScheduleClaim, long)>(async (c, ct) =>
        {
            var key = new[] { ("environment", (object?)schedule.Environment), ("kind", schedule.Name) };
            await using (var ensure = Command(c, $"INSERT INTO {T("schedule_leases")} (environment, kind, last_slot, holder, lease_until) VALUES (@environment, @kind, 0, NULL, 0) ON CONFLICT (environment, kind) DO NOTHING", key))
            {
                await ensure.ExecuteNonQueryAsync(ct);
            }

            await using (var claim = Command(c,
                $"""
                UPDATE {T("schedule_leases")} SET last_slot = @slot, holder = @holder, lease_until = @until
                WHERE environment = @environment AND kind = @kind AND last_slot < @slot AND lease_until <= @now
                """,
                [.. key, ("slot", Millis(slot)), ("holder", holder), ("until", Millis(now + lease)), ("now", Millis(now))]))
            {
                if (await claim.ExecuteNonQueryAsync(ct) == 1)
                {
                    // A run left as running had its process stop: its lease ran out, or this one could not be claimed.
                    await using (var settle = Command(c, $"UPDATE {T("schedule_runs")} SET outcome = @interrupted WHERE environment = @environment AND kind = @kind AND outcome = @running",
                        [.. key, ("interrupted", ScheduleOutcomes.Interrupted), ("running", ScheduleOutcomes.Running)]))
                    {
                        await settle.ExecuteNonQueryAsync(ct);
                    }

                    return (ScheduleClaim.Claimed, await InsertRunAsync(c, schedule, slot, holder, now, ScheduleOutcomes.Running, null, ct) ?? 0);
                }
            }

            // Not ours: taken already, or the previous slot still runs. Record the skip once (the slot is unique).
            await using var state = Command(c, $"SELECT last_slot FROM {T("schedule_leases")} WHERE environment = @environment AND kind = @kind", key);
            var last = Convert.ToInt64(await state.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            if (last >= Millis(slot))
            {
                return (ScheduleClaim.Taken, 0);
            }

            var skipped = await InsertRunAsync(c, schedule, slot, holder, now, ScheduleOutcomes.Skipped, "the previous run of this schedule was still running", ct);
            return (skipped is null ? ScheduleClaim.Taken : ScheduleClaim.Skipped, 0);
        }, cancellationToken);

    /// <summary>Keeps the lease while the run goes on; false if the lease is no longer this process's.</summary>
    public Task<bool> RenewAsync(Schedule schedule, string holder, DateTimeOffset until, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c, $"UPDATE {T("schedule_leases")} SET lease_until = @until WHERE environment = @environment AND kind = @kind AND holder = @holder",
                ("until", Millis(until)), ("environment", schedule.Environment), ("kind", schedule.Name), ("holder", holder));
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    /// <summary>Records how the run ended and gives the lease back.</summary>
    public Task FinishAsync(Schedule schedule, long runId, string holder, string outcome, int? exitCode, string? message, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using (var run = Command(c, $"UPDATE {T("schedule_runs")} SET finished_at = @now, outcome = @outcome, exit_code = @code, message = @message WHERE id = @id",
                ("now", Millis(now)), ("outcome", outcome), ("code", exitCode is { } e ? (long)e : null), ("message", message), ("id", runId)))
            {
                await run.ExecuteNonQueryAsync(ct);
            }

            await using var release = Command(c, $"UPDATE {T("schedule_leases")} SET lease_until = 0 WHERE environment = @environment AND kind = @kind AND holder = @holder",
                ("environment", schedule.Environment), ("kind", schedule.Name), ("holder", holder));
            await release.ExecuteNonQueryAsync(ct);
            return 0;
        }, cancellationToken);

    /// <summary>The latest slot claimed for the schedule, by any process; null if none ever was.</summary>
    public Task<DateTimeOffset?> LastSlotAsync(Schedule schedule, CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) =>
        {
            await using var command = Command(c, $"SELECT last_slot FROM {T("schedule_leases")} WHERE environment = @environment AND kind = @kind AND last_slot > 0",
                ("environment", schedule.Environment), ("kind", schedule.Name));
            return await command.ExecuteScalarAsync(ct) is { } value and not DBNull ? At(value) : (DateTimeOffset?)null;
        }, cancellationToken);

    /// <summary>Runs newest first (by slot), of one environment and kind or all of them.</summary>
    public Task<IReadOnlyList<ScheduleRun>> ListAsync(string? environment, string? kind, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<ScheduleRun>>(async (c, ct) =>
        {
            var where = new List<string>();
            if (environment is not null)
            {
                where.Add("environment = @environment");
            }

            if (kind is not null)
            {
                where.Add("kind = @kind");
            }

            var clause = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
            await using var command = Command(c, $"SELECT {Columns} FROM {T("schedule_runs")} {clause} ORDER BY slot DESC, id DESC LIMIT @limit",
                ("environment", environment), ("kind", kind), ("limit", (long)limit));
            return await ReadRunsAsync(command, ct);
        }, cancellationToken);

    /// <summary>The latest run (by slot) of each environment and kind that has one.</summary>
    public Task<IReadOnlyList<ScheduleRun>> LatestAsync(CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<ScheduleRun>>(async (c, ct) =>
        {
            await using var command = Command(c,
                $"""
                SELECT {Columns} FROM {T("schedule_runs")} r
                WHERE slot = (SELECT max(slot) FROM {T("schedule_runs")} l WHERE l.environment = r.environment AND l.kind = r.kind)
                ORDER BY environment, kind
                """);
            return await ReadRunsAsync(command, ct);
        }, cancellationToken);

    private async Task<long?> InsertRunAsync(DbConnection connection, Schedule schedule, DateTimeOffset slot, string holder, DateTimeOffset now, string outcome, string? message, CancellationToken cancellationToken)
    {
        await using var command = Command(connection,
            $"""
            INSERT INTO {T("schedule_runs")} (environment, kind, slot, holder, started_at, outcome, message)
            VALUES (@environment, @kind, @slot, @holder, @now, @outcome, @message)
            ON CONFLICT (environment, kind, slot) DO NOTHING RETURNING id
            """,
            ("environment", schedule.Environment), ("kind", schedule.Name), ("slot", Millis(slot)), ("holder", holder), ("now", Millis(now)), ("outcome", outcome), ("message", message));
        return await command.ExecuteScalarAsync(cancellationToken) is { } id and not DBNull ? Convert.ToInt64(id, CultureInfo.InvariantCulture) : null;
    }

    private static async Task<IReadOnlyList<ScheduleRun>> ReadRunsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var runs = new List<ScheduleRun>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new ScheduleRun
            {
                Id = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture),
                Environment = reader.GetString(1),
                Kind = reader.GetString(2),
                Slot = At(reader.GetValue(3)),
                Holder = reader.GetString(4),
                StartedAt = At(reader.GetValue(5)),
                FinishedAt = AtOrNull(reader.GetValue(6)),
                Outcome = reader.GetString(7),
                ExitCode = reader.GetValue(8) is DBNull ? null : Convert.ToInt32(reader.GetValue(8), CultureInfo.InvariantCulture),
                Message = reader.GetValue(9) as string,
            });
        }

        return runs;
    }
}
