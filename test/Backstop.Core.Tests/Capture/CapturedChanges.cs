using Backstop.Core.Capture;
using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Backstop.Core.RecycleBin;
using Backstop.Core.Undo;
using Npgsql;

namespace Backstop.Core.Tests.Capture;

/// <summary>
/// Runs SQL as a change whose rows are captured, the way a change's execution does (<see cref="ChangeCapture"/> around
/// the statements, in one transaction), without the lifecycle around it: no preview, policy or state file. The tables
/// to capture are given, as the preview would have shown them; all are in schema public.
/// </summary>
internal static class CapturedChanges
{
    private static long _lastLocalId;

    public static async Task<CapturedChange> RunAsync(string connectionString, string sql, params string[] tables) =>
        await RunAsync(connectionString, sql, commit: true, tables);

    public static async Task<CapturedChange> RunAsync(string connectionString, string sql, bool commit, params string[] tables)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await CaptureSchema.EnsureAsync(connection, null, CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        var (changeId, localId, capture) = await BeginAsync(connection, tables);
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        var captured = await capture.EndAsync(changeId, CancellationToken.None);
        if (commit)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }

        return new CapturedChange(changeId, localId, captured, capture.CreatedByChange);
    }

    /// <summary>Starts capture in the connection's open transaction, as a change's execution does before its first statement.</summary>
    public static async Task<(Guid ChangeId, long LocalId, ChangeCapture Capture)> BeginAsync(NpgsqlConnection connection, params string[] tables)
    {
        var changeId = Guid.CreateVersion7();
        var localId = Interlocked.Increment(ref _lastLocalId);
        var request = new CaptureRequest(changeId, localId, "test", "tester", new string('0', 64), UndoOf: null);
        var capture = await ChangeCapture.BeginAsync(connection, request, tables.Select(t => ("public", t)), CancellationToken.None);
        return (changeId, localId, capture);
    }

    /// <summary>
    /// Runs a DROP TABLE or DROP SCHEMA as a change's execution does: the recycle bin moves what it drops aside. Returns
    /// false, having dropped nothing, when the statement is one PostgreSQL itself would refuse (it is then run as written).
    /// </summary>
    /// <param name="counted">per table, the rows counted just before (else the bin records the planner's estimate).</param>
    public static async Task<(bool Moved, Guid ChangeId)> DropAsync(string connectionString, string sql, IReadOnlyDictionary<uint, TableSize>? counted = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await CaptureSchema.EnsureAsync(connection, null, CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        var (changeId, _, capture) = await BeginAsync(connection);
        var moved = await TrashBin.TryMoveAsync(connection, changeId, ScriptAnalyzer.Analyze(sql).Single(), counted ?? new Dictionary<uint, TableSize>(), CancellationToken.None);
        await capture.EndAsync(changeId, CancellationToken.None);
        await transaction.CommitAsync();
        return (moved, changeId);
    }

    /// <summary>Plans the undo of <paramref name="change"/> and runs its script in one transaction, on the connection that planned it (the script reads its temporary tables).</summary>
    public static async Task<UndoPlan> UndoAsync(string connectionString, CapturedChange change)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var plan = await UndoPlanner.PlanAsync(connection, change.ChangeId, change.LocalId, CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var undo = new NpgsqlCommand(plan.Script, connection))
        {
            await undo.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return plan;
    }
}
