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
            await using var explain = new NpgsqlCommand("EXPLAIN (FORMAT JSON, VERBOSE) " + statement.Statement.Text, connection);
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
        long? rows = null;
        if (top.TryGetProperty("Node Type", out var nodeType) && nodeType.GetString() == "ModifyTable")
        {
            var input = top.TryGetProperty("Plans", out var plans) && plans.GetArrayLength() > 0 ? plans[0] : top;
            rows = (long)input.GetProperty("Plan Rows").GetDouble();
            var operation = top.GetProperty("Operation").GetString();
            var schema = top.TryGetProperty("Schema", out var s) ? s.GetString()! : "public";
            var name = top.GetProperty("Relation Name").GetString()!;
            tables.Add(new TableImpact
            {
                Schema = schema,
                Name = name,
                Inserted = operation == "Insert" ? rows.Value : 0,
                Updated = operation == "Update" ? rows.Value : 0,
                Deleted = operation == "Delete" ? rows.Value : 0,
                Estimated = true,
            });
        }
        else if (top.TryGetProperty("Plan Rows", out var planRows))
        {
            rows = (long)planRows.GetDouble();
        }

        return new StatementImpact
        {
            Index = statement.Index,
            CommandTag = ScriptAnalyzer.FirstWords(statement),
            RowCount = rows,
            Estimated = true,
            Note = $"{bound} reached: estimated by EXPLAIN, which does not see cascades or triggers",
            Tables = tables,
        };
    }
}
