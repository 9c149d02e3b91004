using System.Text.Json;
using Backstop.Core.Changes;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// When a preview bound is hit, the planner's estimate stands in for the measurement: the rows the
/// ModifyTable node's input is expected to produce (docs: "Using EXPLAIN"). It cannot see cascades or
/// triggers, and says so.
/// </summary>
internal static class ExplainEstimate
{
    private const string Savepoint = "backstop_explain";

    public static async Task<StatementImpact> EstimateAsync(NpgsqlConnection connection, AnalyzedStatement statement, string bound, CancellationToken cancellationToken)
    {
        string plan;
        try
        {
            await using var savepoint = new NpgsqlCommand($"SAVEPOINT {Savepoint}", connection);
            await savepoint.ExecuteNonQueryAsync(cancellationToken);
            await using var explain = new NpgsqlBatch(connection);
            Environments.SessionSettings.AddTo(explain);
            explain.BatchCommands.Add(new NpgsqlBatchCommand("EXPLAIN (FORMAT JSON, VERBOSE) " + statement.Statement.Text));
            plan = (string)(await explain.ExecuteScalarAsync(cancellationToken))!;
            await using var release = new NpgsqlCommand($"RELEASE SAVEPOINT {Savepoint}", connection);
            await release.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (!cancellationToken.IsCancellationRequested)
        {
            await using var undo = new NpgsqlCommand($"ROLLBACK TO SAVEPOINT {Savepoint}; RELEASE SAVEPOINT {Savepoint}", connection);
            await undo.ExecuteNonQueryAsync(cancellationToken);
            return new StatementImpact
            {
                Index = statement.Index,
                CommandTag = ScriptAnalyzer.FirstWords(statement),
                Note = $"{bound} reached, and EXPLAIN could not estimate it either ({e.MessageText}): impact unknown",
            };
        }

        using var document = JsonDocument.Parse(plan);
        var top = document.RootElement[0].GetProperty("Plan");
        var tables = new List<TableImpact>();
        CollectModifications(top, tables);
        if (tables.Count == 0 && statement.Info.IsWrite)
        {
            return new StatementImpact
            {
                Index = statement.Index,
                CommandTag = ScriptAnalyzer.FirstWords(statement),
                Note = $"{bound} reached, and its plan shows no table it writes: impact unknown",
            };
        }

        tables = await WithSizesAsync(connection, tables, cancellationToken);
        return new StatementImpact
        {
            Index = statement.Index,
            CommandTag = ScriptAnalyzer.FirstWords(statement),
            RowCount = tables.Count > 0 ? tables.Sum(t => t.Changed) : (long)top.GetProperty("Plan Rows").GetDouble(),
            Estimated = true,
            Note = $"{bound} reached: estimated by EXPLAIN, which does not see cascades or triggers",
            Tables = tables,
        };
    }

    /// <summary>Every ModifyTable node, the top one and those of data-modifying CTEs alike.</summary>
    private static void CollectModifications(JsonElement node, List<TableImpact> tables)
    {
        if (node.TryGetProperty("Node Type", out var type) && type.GetString() == "ModifyTable" && node.TryGetProperty("Relation Name", out var relation))
        {
            var input = node.TryGetProperty("Plans", out var inputs) && inputs.GetArrayLength() > 0 ? inputs[0] : node;
            var rows = (long)input.GetProperty("Plan Rows").GetDouble();
            var operation = node.GetProperty("Operation").GetString();
            tables.Add(new TableImpact
            {
                Schema = node.TryGetProperty("Schema", out var schema) ? schema.GetString()! : "public",
                Name = relation.GetString()!,
                Inserted = operation == "Insert" ? rows : 0,

                // MERGE may insert, update or delete each source row; counting them as updates keeps the rules that matter.
                Updated = operation is "Update" or "Merge" ? rows : 0,
                Deleted = operation == "Delete" ? rows : 0,
                Estimated = true,
            });
        }

        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                CollectModifications(child, tables);
            }
        }
    }

    /// <summary>The tables' sizes from the planner's statistics, so that the share-of-table rule applies to estimates too.</summary>
    private static async Task<List<TableImpact>> WithSizesAsync(NpgsqlConnection connection, List<TableImpact> tables, CancellationToken cancellationToken)
    {
        var result = new List<TableImpact>(tables.Count);
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand(
                "SELECT c.reltuples::bigint FROM pg_class c WHERE c.oid = to_regclass(@name)", connection);
            command.Parameters.AddWithValue("name", Postgres.PgIdentifier.Quote(table.Schema, table.Name));
            var reltuples = await command.ExecuteScalarAsync(cancellationToken) as long?;
            result.Add(reltuples is >= 0 ? table with { RowsBefore = reltuples, RowsBeforeEstimated = true } : table);
        }

        return result;
    }
}
