using System.Text;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// Turns a <see cref="RepairPlan"/> into a guarded change: the rows go into temporary tables of the target's session
/// with COPY (values never enter SQL text), and the change is three set-based statements that read them. An UPDATE
/// touches a row only if it still holds the values it held when compared, so a write that lands between the
/// comparison and the repair is never overwritten (the preview and the run then count fewer rows, and the impact
/// re-check stops the run).
/// </summary>
public static class RepairScript
{
    private const string Updates = "backstop_repair_update";
    private const string Inserts = "backstop_repair_insert";
    private const string Deletes = "backstop_repair_delete";
    private const string OldPrefix = "backstop_old_";

    /// <summary>Loads the plan's rows into temporary tables on <paramref name="target"/> and returns the script that applies them.</summary>
    public static async Task<string> PrepareAsync(NpgsqlConnection target, RepairPlan plan, CancellationToken cancellationToken)
    {
        var table = plan.Table;
        var keyNames = table.Key.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        var statements = new List<string>();
        if (plan.Updates.Count > 0)
        {
            var columns = table.Key.Concat(table.Columns).Select(c => c.Quoted)
                .Concat(table.Columns.Select(c => $"{c.Quoted} AS {Postgres.PgIdentifier.Quote(OldPrefix + c.Name)}"));
            await CreateAsync(target, Updates, $"SELECT {string.Join(", ", columns)} FROM {table.Quoted}", cancellationToken);
            await CopyAsync(target, Updates, plan.Updates.Select(r => $"{r.Key}\t{r.Source}\t{r.Target}"), cancellationToken);
            var set = string.Join(", ", table.Columns.Select(c => $"{c.Quoted} = r.{c.Quoted}"));
            var unchanged = string.Join(" AND ", table.Columns.Select(c => c.BinaryHash
                ? $"t.{c.Quoted} IS NOT DISTINCT FROM r.{Postgres.PgIdentifier.Quote(OldPrefix + c.Name)}"
                : $"t.{c.Quoted}::text IS NOT DISTINCT FROM r.{Postgres.PgIdentifier.Quote(OldPrefix + c.Name)}::text"));
            statements.Add($"UPDATE {table.Quoted} AS t SET {set} FROM pg_temp.{Updates} AS r WHERE {KeyMatch(table)} AND {unchanged}");
        }

        if (plan.Inserts.Count > 0)
        {
            var columns = table.Key.Concat(table.Insertable.Where(c => !keyNames.Contains(c.Name))).Select(c => c.Quoted).ToList();
            await CreateAsync(target, Inserts, $"SELECT {string.Join(", ", columns)} FROM {table.Quoted}", cancellationToken);
            await CopyAsync(target, Inserts, plan.Inserts.Select(r => r.Value.Length == 0 && columns.Count == table.Key.Count ? r.Key : $"{r.Key}\t{r.Value}"), cancellationToken);
            var overriding = table.HasIdentityAlways ? " OVERRIDING SYSTEM VALUE" : "";
            statements.Add($"INSERT INTO {table.Quoted} ({string.Join(", ", columns)}){overriding} SELECT {string.Join(", ", columns)} FROM pg_temp.{Inserts}");
        }

        if (plan.Deletes.Count > 0)
        {
            await CreateAsync(target, Deletes, $"SELECT {string.Join(", ", table.Key.Select(k => k.Quoted))} FROM {table.Quoted}", cancellationToken);
            await CopyAsync(target, Deletes, plan.Deletes.Select(r => r.Key), cancellationToken);
            statements.Add($"DELETE FROM {table.Quoted} AS t USING pg_temp.{Deletes} AS r WHERE {KeyMatch(table)}");
        }

        return statements.Count == 0 ? "" : string.Join(";\n", statements) + ";\n";
    }

    private static string KeyMatch(RepairTable table) => string.Join(" AND ", table.Key.Select(k => $"t.{k.Quoted} = r.{k.Quoted}"));

    private static async Task CreateAsync(NpgsqlConnection target, string name, string shape, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DROP TABLE IF EXISTS pg_temp.{name}; CREATE TEMP TABLE {name} AS {shape} WITH NO DATA", target);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task CopyAsync(NpgsqlConnection target, string name, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        await using (var writer = await target.BeginTextImportAsync($"COPY pg_temp.{name} FROM STDIN", cancellationToken))
        {
            var buffer = new StringBuilder();
            foreach (var line in lines)
            {
                buffer.Append(line).Append('\n');
                if (buffer.Length > 1 << 20)
                {
                    await writer.WriteAsync(buffer.ToString());
                    buffer.Clear();
                }
            }

            await writer.WriteAsync(buffer.ToString());
        }

        await using var analyze = new NpgsqlCommand($"ANALYZE pg_temp.{name}", target);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }
}
