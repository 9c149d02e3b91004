using Npgsql;

namespace Backstop.Core.Guard;

/// <summary>
/// The savepoint a guarded statement runs under, inside a transaction the client owns. Its name is new for every
/// statement, so that it can never be confused with a savepoint of the client's own (PostgreSQL lets a newer savepoint
/// of the same name hide an older one, and ROLLBACK TO or RELEASE would then reach the wrong one).
/// </summary>
internal sealed class GuardSavepoint
{
    private GuardSavepoint(string name) => Name = name;

    public string Name { get; }

    /// <summary>A name no client chooses: <c>backstop_guard_</c> and 32 hex digits, within the 63 bytes of an identifier.</summary>
    public static GuardSavepoint New() => new("backstop_guard_" + Guid.NewGuid().ToString("N"));

    /// <summary>The SAVEPOINT itself, to ride in the same batch as what follows it.</summary>
    public NpgsqlBatchCommand Establish() => new($"SAVEPOINT {Name}");

    /// <summary>
    /// What a failure of <see cref="Establish"/> means for the caller: SAVEPOINT works only inside a transaction block
    /// that has not failed (docs: "SAVEPOINT").
    /// </summary>
    public static Exception? Refusal(PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.NoActiveSqlTransaction => new InvalidOperationException(
            "the statement guard runs a statement inside the client's open transaction, and this connection has none; send BEGIN first (the proxy does so for a client in autocommit)", e),
        PostgresErrorCodes.InFailedSqlTransaction => new InvalidOperationException(
            "the client's transaction has already failed, so no statement can run in it until ROLLBACK; nothing was run", e),
        _ => null,
    };

    /// <summary>Back to the state before the statement, keeping the savepoint for another attempt.</summary>
    public Task RollBackAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, $"ROLLBACK TO SAVEPOINT {Name}", cancellationToken);

    /// <summary>
    /// Back to the state before the statement, and the savepoint gone: the client's transaction is as it was, and
    /// usable even when the statement failed (ROLLBACK TO leaves an aborted transaction's failure behind). Never
    /// cancelled: the client's transaction must not be left in between.
    /// </summary>
    public Task AbandonAsync(NpgsqlConnection connection) =>
        ExecuteAsync(connection, $"ROLLBACK TO SAVEPOINT {Name}; RELEASE SAVEPOINT {Name}", CancellationToken.None);

    /// <summary>
    /// Keeps what ran under the savepoint (and under any savepoint taken after it) in the client's transaction:
    /// RELEASE merges the subtransactions into their parent, whose commit or rollback now decides.
    /// </summary>
    public Task ReleaseAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, $"RELEASE SAVEPOINT {Name}", cancellationToken);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
