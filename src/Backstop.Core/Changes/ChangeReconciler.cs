using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.State;
using Npgsql;

namespace Backstop.Core.Changes;

/// <summary>
/// Brings the local state store in line with the target databases after a crash. The change log row that a change
/// writes in its own transaction (<c>backstop.changes</c>) is the source of truth: a change still recorded as
/// running locally committed if and only if that row exists, once no session is still working on it.
/// </summary>
public static class ChangeReconciler
{
    private const string SessionPrefix = "backstop:";

    /// <summary>Names the session after the change for as long as its transaction lasts, so others can tell it is still at work.</summary>
    internal static async Task MarkSessionAsync(NpgsqlConnection connection, Guid changeId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT set_config('application_name', @name, true)", connection);
        command.Parameters.AddWithValue("name", SessionPrefix + changeId.ToString("N"));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Settles every change recorded as running; returns one line per change settled or left as it was.</summary>
    public static async Task<IReadOnlyList<string>> ReconcileAsync(BackstopConfig config, IStateStore store, EnvironmentConnector connector, CancellationToken cancellationToken)
    {
        var running = (await store.ListAsync(null, 1000, cancellationToken)).Where(c => c.Outcome == ChangeOutcome.Running).ToList();
        var notes = new List<string>();
        foreach (var group in running.GroupBy(c => c.Environment))
        {
            var environment = config.Environments.FirstOrDefault(e => e.Name == group.Key);
            if (environment is null)
            {
                continue;
            }

            ConnectedEnvironment target;
            try
            {
                target = await connector.OpenAsync(environment, cancellationToken);
            }
            catch (Exception e) when (e is ConnectionFailedException or TargetMismatchException or ConfigException)
            {
                notes.Add($"changes {string.Join(", ", group.Select(c => c.Id))} on '{group.Key}' are recorded as running and could not be checked: {e.Message}");
                continue;
            }

            await using (target)
            {
                foreach (var change in group)
                {
                    notes.Add(await SettleAsync(target.Connection, store, change, cancellationToken));
                }
            }
        }

        return notes;
    }

    private static async Task<string> SettleAsync(NpgsqlConnection connection, IStateStore store, ChangeRecord change, CancellationToken cancellationToken)
    {
        await using (var active = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = @name)", connection))
        {
            active.Parameters.AddWithValue("name", SessionPrefix + change.ChangeUuid.ToString("N"));
            if (await active.ExecuteScalarAsync(cancellationToken) is true)
            {
                return $"change {change.Id} is still running on the server; left as it is";
            }
        }

        var committed = false;
        await using (var logged = new NpgsqlCommand("SELECT to_regclass('backstop.changes') IS NOT NULL", connection))
        {
            if (await logged.ExecuteScalarAsync(cancellationToken) is true)
            {
                await using var find = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM backstop.changes WHERE change_id = @id)", connection);
                find.Parameters.AddWithValue("id", change.ChangeUuid);
                committed = await find.ExecuteScalarAsync(cancellationToken) is true;
            }
        }

        var settled = committed
            ? change with { Outcome = ChangeOutcome.Committed, Message = "committed; Backstop stopped before it could record that (settled from the target's change log)" }
            : change with { Outcome = ChangeOutcome.Failed, Message = "interrupted before it committed; nothing was changed (settled from the target's change log)" };
        if (!await store.SettleRunningAsync(settled, cancellationToken))
        {
            // The change itself finished and recorded its outcome while this looked at the server.
            return $"change {change.Id} finished while it was being checked; its own record stands";
        }

        return $"change {change.Id} was recorded as running: {(committed ? "it committed" : "it did not commit")}";
    }
}
