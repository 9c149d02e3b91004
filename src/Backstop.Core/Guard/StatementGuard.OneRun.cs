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
    private async Task<GuardOutcome?> TryOneRunAsync(IOneRunWire wire, GuardSavepoint savepoint, AnalyzedStatement statement, GuardContext context, OwnTransaction? own, CancellationToken cancellationToken)
    {
        var changeId = context.ChangeId ?? Guid.CreateVersion7();
        var target = statement.Info.Targets[0];
        var batch = new List<WireStatement>();
        if (own is { Open: false })
        {
            batch.Add(new WireStatement("BEGIN"));
            own.Open = true;
        }

        var establish = batch.Count;
        batch.Add(new WireStatement($"SAVEPOINT {savepoint.Name}"));
        // Every column cast to text, the form both wires read.
        batch.Add(new WireStatement($"SELECT b.backstop_version::text AS {VersionFirstColumn}, b.client_strings FROM backstop.guard_begin($1, $2, $3) b",
            changeId, PgIdentifier.Quote(target.Schema, target.Name), OneRunRowLimit));
        var executed = batch.Count;
        batch.Add(new WireStatement(statement.Statement.Text));
        batch.Add(new WireStatement($"SELECT backstop.guard_end()::text AS {UnstagedFirstColumn}"));
        batch.Add(new WireStatement(
            $"SELECT s.backstop_guard_relid::text AS {SummaryFirstColumn}, s.schema_name, s.table_name, s.op, s.captured::text, s.plain::text, s.has_key::text, " +
            "s.key_columns::text, s.keys_may_move::text, s.keys_moved::text, s.exact_rows::text, s.estimated_rows::text FROM backstop.guard_summary($1, $2) s",
            changeId, TableSizes.ExactCountMaxBytes));

        var reply = await wire.RunAsync(batch, cancellationToken);

        // Told apart by their first column and their order: the statement's own rows (RETURNING) come after
        // guard_begin's, and only the last reading of guard_end's and guard_summary's kind counts.
        string? clientStrings = null;
        int? version = null;
        string?[]? unstaged = null;
        var staged = new List<Staged>();
        foreach (var set in reply.Sets)
        {
            var first = set.Columns.Count > 0 ? set.Columns[0] : null;
            if (first == VersionFirstColumn && version is null && set.Rows.Count == 1)
            {
                version = (int)WireText.Long(set.Rows[0][0]);
                clientStrings = set.Rows[0][1];
            }
            else if (first == UnstagedFirstColumn && version is not null && set.Rows.Count == 1)
            {
                unstaged = WireText.Array(set.Rows[0][0]);
            }
            else if (first == SummaryFirstColumn && unstaged is not null)
            {
                staged.Clear();
                foreach (var row in set.Rows)
                {
                    staged.Add(new Staged((uint)WireText.Long(row[0]), row[1]!, row[2]!, row[3]![0], WireText.Long(row[4]),
                        WireText.Bool(row[5]), WireText.Bool(row[6]), [.. WireText.Array(row[7]).Select(k => k!)], WireText.Bool(row[8]), WireText.Bool(row[9]),
                        WireText.NullableLong(row[10]), WireText.Long(row[11])));
                }
            }
        }

        if (reply.Error is { } e)
        {
            // Which statement failed: Npgsql names it for some errors only, so also by what had come back before.
            var failed = reply.FailedIndex ?? (version is null ? establish : unstaged is null ? executed : -1);
            if (failed == establish && GuardSavepoint.Refusal(e) is { } refusal)
            {
                throw refusal;
            }

            try
            {
                await AbandonAsync(wire, savepoint);
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
            await AbandonAsync(wire, savepoint);
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
            CommandTag = reply.Tags[executed] ?? ScriptAnalyzer.FirstWords(statement),
            RowCount = RowsOf(reply.Tags[executed]),
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
                (await wire.RunAsync([new WireStatement("ROLLBACK")], CancellationToken.None)).ThrowIfFailed();
            }
            else
            {
                await AbandonAsync(wire, savepoint);
            }

            return NotKept(decision, impact, Refusal(decision.Verdict));
        }

        if (!KeepsWhole(staged))
        {
            await AbandonAsync(wire, savepoint);
            return null;
        }

        var kept = new GuardOutcome { Verdict = decision.Verdict, Reasons = Deciding(decision), Impact = impact, Kept = true, ChangeId = changeId, OneRun = true };
        if (!await KeepStagedAsync(wire, savepoint, clientStrings, changeId, statement, context, commit: own is not null))
        {
            if (own is not null)
            {
                // Before COMMIT or at it (a deferred constraint): either way the transaction ends here, and the measured
                // way runs the statement again in a new one and reports what happens to it.
                own.Open = false;
                (await wire.RunAsync([new WireStatement("ROLLBACK")], CancellationToken.None)).ThrowIfFailed();
            }
            else
            {
                await AbandonAsync(wire, savepoint);
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
    private static async Task<bool> KeepStagedAsync(IOneRunWire wire, GuardSavepoint savepoint, string clientStrings, Guid changeId,
        AnalyzedStatement statement, GuardContext context, bool commit)
    {
        List<WireStatement> batch =
        [
            new("SELECT backstop.guard_keep($1, $2, $3, $4, $5, $6)",
                changeId, context.LocalId, context.EnvironmentName, context.Actor, Sha256(statement.Statement.Text), clientStrings),
            new($"RELEASE SAVEPOINT {savepoint.Name}"),
        ];
        if (commit)
        {
            batch.Add(new WireStatement("COMMIT"));
        }

        // Not cancelled once sent: the statement is then part of the client's transaction, and must be reported so. An
        // error (a role that may not write schema backstop, a deferred constraint at COMMIT) sends it the measured way,
        // which says what is wrong.
        return (await wire.RunAsync(batch, CancellationToken.None)).Error is null;
    }

    /// <summary>Back to before the statement, the savepoint gone (<see cref="GuardSavepoint.AbandonAsync"/>), on the wire.</summary>
    private static async Task AbandonAsync(IOneRunWire wire, GuardSavepoint savepoint) =>
        (await wire.RunAsync([new WireStatement($"ROLLBACK TO SAVEPOINT {savepoint.Name}"), new WireStatement($"RELEASE SAVEPOINT {savepoint.Name}")], CancellationToken.None))
            .ThrowIfFailed();

    /// <summary>The rows a command tag counts (its last number: <c>INSERT 0 5</c>, <c>UPDATE 5</c>); null when it counts none.</summary>
    private static long? RowsOf(string? tag) =>
        tag?.LastIndexOf(' ') is int space and > 0 && long.TryParse(tag.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var rows) ? rows : null;
}
