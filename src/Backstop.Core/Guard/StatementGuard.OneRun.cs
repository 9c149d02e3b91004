using System.Globalization;
using Backstop.Core.Capture;
using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Backstop.Postgres;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.Guard;

/// <summary>
/// The one-run way of guarding a write (capture migration 0006): the statement runs once, with persistent row capture
/// open for it, and is judged on PostgreSQL's own counters. Two round trips when it is kept, one when it is refused.
/// Whatever it cannot vouch for (the catalog moved, a written table has no persistent capture, more rows than the
/// capture keeps, an UPDATE that moved keys, a table written two ways) it rolls back to its savepoint and hands to the
/// measured way, which runs the statement again as before: the one-run way is never less exact, only faster.
/// </summary>
public sealed partial class StatementGuard
{
    /// <summary>
    /// The most rows one statement keeps by persistent capture; beyond it, the measured way. A refused statement costs
    /// this many staged rows at most before it is rolled back; an allowed larger one runs a second time.
    /// </summary>
    public long OneRunRowLimit { get; init; } = 10_000;

    private const string SummaryFirstColumn = "backstop_guard_relid";

    private const string VersionFirstColumn = "backstop_version";

    private const string UnstagedFirstColumn = "backstop_unstaged";

    private sealed record Staged(uint RelationId, string Schema, string Name, char Op, long Captured, bool Plain, bool HasKey,
        string[] KeyColumns, bool KeysMayMove, bool KeysMoved, long? ExactRows, long EstimatedRows);

    /// <summary>Whether the one-run way may be tried: one INSERT, UPDATE or DELETE of one named table, nothing outside the database.</summary>
    private static bool OneRunApplies(AnalyzedStatement statement) =>
        statement.Info.Kind is StatementKind.Insert or StatementKind.Update or StatementKind.Delete
        && statement.Info.AllowedInTransaction && statement.Info.ExternalEffect is null && statement.Info.Lock is null
        && statement.Info.Targets.Count == 1;

    /// <returns>the outcome; null when the statement must go the measured way (nothing of it is left, the savepoint is gone).</returns>
    /// <param name="own">the transaction the guard opens for a client in autocommit: BEGIN rides in the first batch and
    /// COMMIT in the keeping one, a refusal rolls it back; a statement handed to the measured way leaves it open.</param>
    private async Task<GuardOutcome?> TryOneRunAsync(NpgsqlConnection connection, GuardSavepoint savepoint, AnalyzedStatement statement, GuardContext context, OwnTransaction? own, CancellationToken cancellationToken)
    {
        var changeId = Guid.CreateVersion7();
        var target = statement.Info.Targets[0];
        await using var batch = new NpgsqlBatch(connection);
        if (own is { Open: false })
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            own.Open = true;
        }

        var establish = savepoint.Establish();
        batch.BatchCommands.Add(establish);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT * FROM backstop.guard_begin($1, $2, $3)")
        {
            Parameters =
            {
                new NpgsqlParameter { Value = changeId },
                new NpgsqlParameter { Value = PgIdentifier.Quote(target.Schema, target.Name) },
                new NpgsqlParameter { Value = OneRunRowLimit },
            },
        });
        var executed = new NpgsqlBatchCommand(statement.Statement.Text);
        batch.BatchCommands.Add(executed);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT backstop.guard_end() AS {UnstagedFirstColumn}"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT * FROM backstop.guard_summary($1, $2)")
        {
            Parameters = { new NpgsqlParameter { Value = changeId }, new NpgsqlParameter { Value = TableSizes.ExactCountMaxBytes } },
        });

        string? clientStrings = null;
        int? version = null;
        string[]? unstaged = null;
        var staged = new List<Staged>();
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            do
            {
                // Told apart by their first column and their order: the statement's own rows (RETURNING) come after
                // guard_begin's, and only the last reading of guard_end's and guard_summary's kind counts.
                var first = reader.FieldCount > 0 ? reader.GetName(0) : null;
                if (first == VersionFirstColumn && version is null)
                {
                    await reader.ReadAsync(cancellationToken);
                    version = reader.GetInt32(0);
                    clientStrings = reader.GetString(1);
                }
                else if (first == UnstagedFirstColumn && version is not null)
                {
                    await reader.ReadAsync(cancellationToken);
                    unstaged = reader.GetFieldValue<string[]>(0);
                }
                else if (first == SummaryFirstColumn && unstaged is not null)
                {
                    staged.Clear();
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        staged.Add(new Staged(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0], reader.GetInt64(4),
                            reader.GetBoolean(5), reader.GetBoolean(6), reader.GetFieldValue<string[]>(7), reader.GetBoolean(8), reader.GetBoolean(9),
                            reader.IsDBNull(10) ? null : reader.GetInt64(10), reader.GetInt64(11)));
                    }
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        catch (PostgresException e)
        {
            // Which command failed: Npgsql names it for some errors only, so also by what had come back before.
            var failed = e.BatchCommand ?? (version is null ? establish : unstaged is null ? executed : null);
            if (failed == establish && GuardSavepoint.Refusal(e) is { } refusal)
            {
                throw refusal;
            }

            try
            {
                await savepoint.AbandonAsync(connection);
            }
            catch (PostgresException) when (failed == establish)
            {
                // SAVEPOINT itself failed, so there is none to go back to; the measured way says why.
            }

            if (failed == executed)
            {
                throw new StatementFailedException(statement, e);
            }

            // Before the statement (BK001: the target has no persistent capture) or after it: the measured way decides,
            // and says what is wrong if anything is.
            return null;
        }

        // Anything the staging does not account for (a table without the trigger, the catalog moved, more rows than the
        // limit, Backstop's own tables written) goes the measured way, which counts it exactly.
        if (version != CaptureSchema.Version || clientStrings is null || unstaged is not { Length: 0 })
        {
            await savepoint.AbandonAsync(connection);
            return null;
        }

        var tables = staged.GroupBy(s => s.RelationId).Select(g =>
        {
            var first = g.First();
            var inserted = g.Where(s => s.Op == 'I').Sum(s => s.Captured);
            var updated = g.Where(s => s.Op == 'U').Sum(s => s.Captured);
            var deleted = g.Where(s => s.Op == 'D').Sum(s => s.Captured);
            var rows = first.ExactRows ?? (first.EstimatedRows >= 0 ? first.EstimatedRows : null);
            return new TableImpact
            {
                Schema = first.Schema,
                Name = first.Name,
                Inserted = inserted,
                Updated = updated,
                Deleted = deleted,
                RowsBefore = first.ExactRows is { } now ? now + deleted - inserted : rows,
                RowsBeforeEstimated = first.ExactRows is null,
                HasPrimaryKey = first.HasKey,
            };
        }).OrderBy(t => t.QualifiedName, StringComparer.Ordinal).ToList();

        var impact = new StatementImpact
        {
            Index = statement.Index,
            CommandTag = ImpactMeter.CommandTag(executed, statement),
            RowCount = executed.StatementType is StatementType.Other ? null : checked((long)executed.Rows),
            Executed = true,
            Tables = tables,
        };
        var decision = Judge(statement, impact, context);
        if (!Passes(decision.Verdict, context, impact))
        {
            if (own is not null)
            {
                // The whole transaction was the guard's: one ROLLBACK ends it.
                own.Open = false;
                await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None);
            }
            else
            {
                await savepoint.AbandonAsync(connection);
            }

            return NotKept(decision, impact, Refusal(decision.Verdict));
        }

        if (!KeepsWhole(staged))
        {
            await savepoint.AbandonAsync(connection);
            return null;
        }

        var kept = new GuardOutcome { Verdict = decision.Verdict, Reasons = Deciding(decision), Impact = impact, Kept = true, ChangeId = changeId, OneRun = true };
        context.Keeping?.Invoke(kept);
        if (!await KeepStagedAsync(connection, savepoint, clientStrings, changeId, statement, context, commit: own is not null))
        {
            if (own is not null)
            {
                // Before COMMIT or at it (a deferred constraint): either way the transaction ends here, and the measured
                // way runs the statement again in a new one and reports what happens to it.
                own.Open = false;
                await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None);
            }
            else
            {
                await savepoint.AbandonAsync(connection);
            }

            return null;
        }

        if (own is not null)
        {
            own.Open = false;
        }

        return kept;
    }

    /// <summary>
    /// Every table was staged one way, as an image undo reads without marks: the inserted rows of an INSERT, the deleted
    /// rows of a DELETE, the old rows of an UPDATE that kept every key of a table with a primary key.
    /// </summary>
    private static bool KeepsWhole(List<Staged> staged) =>
        staged.GroupBy(s => s.RelationId).All(g => g.Count() == 1)
        && staged.All(s => s.Plain && (s.Op is 'I' or 'D' || (s.Op == 'U' && s.HasKey && !s.KeysMayMove && !s.KeysMoved)));

    /// <summary>
    /// The change's log row and its tables, their images the staged rows (in the statement's own subtransaction, so that
    /// their xmin is the rows'), the client's setting back, then the savepoint released; no DDL. The image tables are
    /// made after the commit (<c>backstop.guard_materialize</c>: the proxy right away, undo and retention when they need them).
    /// </summary>
    /// <returns>false when it could not be kept this way (the caller abandons the savepoint).</returns>
    private static async Task<bool> KeepStagedAsync(NpgsqlConnection connection, GuardSavepoint savepoint, string clientStrings, Guid changeId,
        AnalyzedStatement statement, GuardContext context, bool commit)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT backstop.guard_keep($1, $2, $3, $4, $5, $6)")
        {
            Parameters =
            {
                new NpgsqlParameter { Value = changeId },
                new NpgsqlParameter { Value = context.LocalId },
                new NpgsqlParameter { Value = context.EnvironmentName },
                new NpgsqlParameter { Value = context.Actor },
                new NpgsqlParameter { Value = Sha256(statement.Statement.Text) },
                new NpgsqlParameter { Value = clientStrings },
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"RELEASE SAVEPOINT {savepoint.Name}"));
        if (commit)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }

        try
        {
            // Not cancelled once sent: the statement is then part of the client's transaction, and must be reported so.
            await batch.ExecuteNonQueryAsync(CancellationToken.None);
            return true;
        }
        catch (PostgresException)
        {
            // A role that may not create tables in schema backstop, say: the measured way says so.
            return false;
        }
    }
}
