using System.Text;
using Backstop.Core.Preview;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>One guarded change of a repair.</summary>
/// <param name="Tables">the tables it writes, and only those: one, or a root and the tables its rows reach</param>
/// <param name="Script">the statements, one per table and kind of row</param>
/// <param name="Steps">per statement, how many rows it must change</param>
public sealed record RepairBatch(IReadOnlyList<RepairTable> Tables, string Script, IReadOnlyList<RepairStep> Steps)
{
    public RepairBatch(RepairTable table, string script, IReadOnlyList<RepairStep> steps)
        : this([table], script, steps)
    {
    }

    /// <summary>
    /// The batch's impact as its comparison counted it, which stands in for a dry run when the catalog shows the
    /// statements write nothing else (<see cref="CountedImpact"/>); null: preview with a dry run (always, for a batch
    /// that writes several tables: their foreign keys are exactly what may write more).
    /// </summary>
    public Task<IReadOnlyList<StatementImpact>?> CountedImpactAsync(NpgsqlConnection target, CancellationToken cancellationToken) =>
        Steps.Count == 0 || Tables.Count != 1
            ? Task.FromResult<IReadOnlyList<StatementImpact>?>(null)
            : CountedImpact.TryAsync(target, Tables[0].Schema, Tables[0].Name, Steps.Select(s => new CountedStatement(s.Write, s.Rows, s.Write == StatementKind.Update ? Tables[0].Columns.Select(c => c.Name).ToList() : [])).ToList(), cancellationToken);
}

/// <summary>One statement of a repair: it must <paramref name="Write"/> exactly <paramref name="Rows"/> rows (<paramref name="What"/>, for messages).</summary>
public sealed record RepairStep(long Rows, string What, StatementKind Write);

/// <summary>The target no longer holds what was compared (see <see cref="RepairScript.Mismatch"/>); nothing was repaired.</summary>
public sealed class RepairTargetChangedException(string message) : Exception(message);

/// <summary>
/// Turns a <see cref="RepairPlan"/> into a guarded change: the rows go into temporary tables of the target's session
/// with COPY (values never enter SQL text), and the change is three set-based statements that read them. An UPDATE
/// touches a row only if it still holds the values it held when compared, so a write that lands between the
/// comparison and the repair is never overwritten: the preview or the run then counts fewer rows than planned, and
/// <see cref="Mismatch"/> stops the repair.
/// </summary>
public static class RepairScript
{
    private const string Updates = "backstop_repair_update";
    private const string Inserts = "backstop_repair_insert";
    private const string Deletes = "backstop_repair_delete";
    private const string OldPrefix = "backstop_old_";

    /// <summary>
    /// The repair's UPDATE sorts its rows by key to join them, and capture receives every changed row as a transition
    /// table: at the usual server default of 4MB both spill to temporary files. For this session only (it ends with the
    /// command), and never lowered: 256MB, which keeps a million-row repair in memory (about 10 % faster; see
    /// docs/benchmarks.md).
    /// </summary>
    private const string WorkMem = "SELECT set_config('work_mem', '256MB', false) FROM pg_settings WHERE name = 'work_mem' AND setting::bigint < 256 * 1024";

    /// <summary>
    /// Loads the plans' rows into temporary tables on <paramref name="target"/> and returns one script per batch: each
    /// sets back, re-inserts and deletes at most <paramref name="batchRows"/> rows of each kind, so that each can run as a
    /// change of its own and hold its row locks only that long. 0: one script for everything. Several plans (a root and
    /// the tables its rows reach, parents first) make one script: every table's re-inserts parents first, then the
    /// values set back (a SET NULL column points at its parent again only once the parent is back), then the deletes
    /// children first.
    /// </summary>
    public static async Task<IReadOnlyList<RepairBatch>> PrepareBatchesAsync(NpgsqlConnection target, IReadOnlyList<RepairPlan> plans, int batchRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchRows);
        if (plans.Count != 1 && batchRows != 0)
        {
            throw new ArgumentException("several tables are repaired in one change", nameof(batchRows));
        }

        await using (var workMem = new NpgsqlCommand(WorkMem, target))
        {
            await workMem.ExecuteNonQueryAsync(cancellationToken);
        }

        var tables = plans.Select(p => p.Table).ToList();
        if (plans.Count == 1)
        {
            var batches = await StatementsAsync(target, plans[0], "", batchRows, cancellationToken);
            return batches.Count == 0
                ? [new RepairBatch(tables, "", [])]
                : batches.Values.Select(list => Batch(tables, list)).ToList();
        }

        var all = new List<(string Statement, RepairStep Step)>();
        for (var i = 0; i < plans.Count; i++)
        {
            var statements = await StatementsAsync(target, plans[i], $"_{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}", 0, cancellationToken);
            all.AddRange(statements.Values.SelectMany(list => list));
        }

        var ordered = all.Where(s => s.Step.Write == StatementKind.Insert)
            .Concat(all.Where(s => s.Step.Write == StatementKind.Update))
            .Concat(all.Where(s => s.Step.Write == StatementKind.Delete).Reverse())
            .ToList();
        return ordered.Count == 0 ? [new RepairBatch(tables, "", [])] : [Batch(tables, ordered)];
    }

    private static RepairBatch Batch(IReadOnlyList<RepairTable> tables, List<(string Statement, RepairStep Step)> list) =>
        new(tables, string.Join(";\n", list.Select(s => s.Statement)) + ";\n", list.Select(s => s.Step).ToList());

    /// <summary>One plan's rows loaded into its temporary tables (names ending in <paramref name="suffix"/>), and its statements per batch.</summary>
    private static async Task<SortedDictionary<int, List<(string Statement, RepairStep Step)>>> StatementsAsync(
        NpgsqlConnection target, RepairPlan plan, string suffix, int batchRows, CancellationToken cancellationToken)
    {
        var table = plan.Table;
        var keyNames = table.Key.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        var batches = new SortedDictionary<int, List<(string Statement, RepairStep Step)>>();
        void Add(int rows, Func<string, string> statement, string what, StatementKind write, string temporary)
        {
            var count = batchRows == 0 ? 1 : (rows + batchRows - 1) / batchRows;
            for (var batch = 0; batch < count; batch++)
            {
                var size = batchRows == 0 ? rows : Math.Min(batchRows, rows - (batch * batchRows));
                var from = count == 1 ? $"pg_temp.{temporary}" : $"(SELECT * FROM pg_temp.{temporary} WHERE backstop_batch = {batch.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
                if (!batches.TryGetValue(batch, out var list))
                {
                    batches[batch] = list = [];
                }

                list.Add((statement(from), new RepairStep(size, suffix.Length > 0 ? $"{what} in {table.QualifiedName}" : what, write)));
            }
        }

        if (plan.Updates.Count > 0)
        {
            var columns = table.Key.Concat(table.Columns).Select(c => c.Quoted)
                .Concat(table.Columns.Select(c => $"{c.Quoted} AS {Postgres.PgIdentifier.Quote(OldPrefix + c.Name)}"));
            await CreateAsync(target, Updates + suffix, $"SELECT {string.Join(", ", columns)} FROM {table.Quoted}", cancellationToken);
            await CopyAsync(target, Updates + suffix, plan.Updates.Select(r => $"{r.Key}\t{r.Source}\t{r.Target}"), batchRows, cancellationToken);
            var set = string.Join(", ", table.Columns.Select(c => $"{c.Quoted} = r.{c.Quoted}"));
            Add(plan.Updates.Count, from => $"UPDATE {table.Quoted} AS t SET {set} FROM {from} AS r WHERE {KeyMatch(table)} AND {Unchanged(table)}", "rows to set back", StatementKind.Update, Updates + suffix);
        }

        if (plan.Inserts.Count > 0)
        {
            var columns = table.Key.Concat(table.Insertable.Where(c => !keyNames.Contains(c.Name))).Select(c => c.Quoted).ToList();
            await CreateAsync(target, Inserts + suffix, $"SELECT {string.Join(", ", columns)} FROM {table.Quoted}", cancellationToken);
            await CopyAsync(target, Inserts + suffix, plan.Inserts.Select(r => r.Value.Length == 0 && columns.Count == table.Key.Count ? r.Key : $"{r.Key}\t{r.Value}"), batchRows, cancellationToken);
            var overriding = table.HasIdentityAlways ? " OVERRIDING SYSTEM VALUE" : "";
            Add(plan.Inserts.Count, from => $"INSERT INTO {table.Quoted} ({string.Join(", ", columns)}){overriding} SELECT {string.Join(", ", columns)} FROM {from} AS r", "rows to re-insert", StatementKind.Insert, Inserts + suffix);
        }

        if (plan.Deletes.Count > 0)
        {
            var columns = table.Key.Select(c => c.Quoted).Concat(table.Columns.Select(c => $"{c.Quoted} AS {Postgres.PgIdentifier.Quote(OldPrefix + c.Name)}"));
            await CreateAsync(target, Deletes + suffix, $"SELECT {string.Join(", ", columns)} FROM {table.Quoted}", cancellationToken);
            await CopyAsync(target, Deletes + suffix, plan.Deletes.Select(r => table.Columns.Count == 0 ? r.Key : $"{r.Key}\t{r.Target}"), batchRows, cancellationToken);
            Add(plan.Deletes.Count, from => $"DELETE FROM {table.Quoted} AS t USING {from} AS r WHERE {KeyMatch(table)} AND {Unchanged(table)}", "rows to delete", StatementKind.Delete, Deletes + suffix);
        }

        return batches;
    }

    /// <summary>
    /// Why <paramref name="impacts"/> (a preview's or a run's, one per statement of <paramref name="batch"/>) are not the
    /// repair that was compared, or null when each statement changed exactly the rows planned. A row written between the
    /// comparison and the repair is not touched (the statements' guards), so its statement falls short.
    /// </summary>
    public static string? Mismatch(RepairBatch batch, IReadOnlyList<StatementImpact> impacts)
    {
        if (impacts.Count != batch.Steps.Count)
        {
            return $"the repair ran {impacts.Count} statements where it planned {batch.Steps.Count}; nothing was repaired";
        }

        foreach (var (step, impact) in batch.Steps.Zip(impacts))
        {
            if (impact.Executed && !impact.Estimated && impact.RowCount is { } rows && rows != step.Rows)
            {
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the target changed since it was compared: {rows:N0} of {step.Rows:N0} {step.What} matched what was compared; nothing was repaired. Run the same repair again to compare afresh");
            }
        }

        return null;
    }

    /// <summary>The target row still holds the repaired columns' values it held when compared.</summary>
    private static string Unchanged(RepairTable table) => table.Columns.Count == 0 ? "true" : string.Join(" AND ", table.Columns.Select(c => c.BinaryHash
        ? $"t.{c.Quoted} IS NOT DISTINCT FROM r.{Postgres.PgIdentifier.Quote(OldPrefix + c.Name)}"
        : $"t.{c.Quoted}::text IS NOT DISTINCT FROM r.{Postgres.PgIdentifier.Quote(OldPrefix + c.Name)}::text"));

    private static string KeyMatch(RepairTable table) => string.Join(" AND ", table.Key.Select(k => $"t.{k.Quoted} = r.{k.Quoted}"));

    private static async Task CreateAsync(NpgsqlConnection target, string name, string shape, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DROP TABLE IF EXISTS pg_temp.{name}; CREATE TEMP TABLE {name} AS {shape} WITH NO DATA", target);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <param name="batchRows">when more than 0, every line gets its batch number (line number / batchRows) in a last column, backstop_batch.</param>
    private static async Task CopyAsync(NpgsqlConnection target, string name, IEnumerable<string> lines, int batchRows, CancellationToken cancellationToken)
    {
        if (batchRows > 0)
        {
            await using var add = new NpgsqlCommand($"ALTER TABLE pg_temp.{name} ADD COLUMN backstop_batch int", target);
            await add.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var writer = await target.BeginTextImportAsync($"COPY pg_temp.{name} FROM STDIN", cancellationToken))
        {
            var buffer = new StringBuilder();
            var number = 0L;
            foreach (var line in lines)
            {
                buffer.Append(line);
                if (batchRows > 0)
                {
                    buffer.Append('\t').Append((number++ / batchRows).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                buffer.Append('\n');
                if (buffer.Length > 1 << 20)
                {
                    await writer.WriteAsync(buffer.ToString());
                    buffer.Clear();
                }
            }

            await writer.WriteAsync(buffer.ToString());
        }

        // Each batch reads its own rows by this index rather than the whole table.
        var index = batchRows > 0 ? $"CREATE INDEX ON pg_temp.{name} (backstop_batch); " : "";
        await using var analyze = new NpgsqlCommand($"{index}ANALYZE pg_temp.{name}", target);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }
}
