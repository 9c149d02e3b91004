using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// The current transaction's per-table tuple counters (docs: "Monitoring Database Activity →
/// pg_stat_xact_user_tables"). They include rows changed by cascades and triggers, and subtransactions
/// that are still open, so the difference around a statement is exactly what it did.
/// </summary>
internal sealed record TableCounters(uint RelationId, string Schema, string Name, long Inserted, long Updated, long Deleted)
{
    // Backstop's own schemas hold capture data, not user changes.
    public const string SnapshotSql =
        "SELECT relid, schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables " +
        "WHERE (n_tup_ins > 0 OR n_tup_upd > 0 OR n_tup_del > 0) AND schemaname NOT IN ('backstop', 'backstop_trash')";

    public static async Task<Dictionary<uint, TableCounters>> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var counters = new Dictionary<uint, TableCounters>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new TableCounters(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
            counters[row.RelationId] = row;
        }

        return counters;
    }

    public static List<(uint RelationId, TableImpact Impact)> Deltas(Dictionary<uint, TableCounters> before, Dictionary<uint, TableCounters> after)
    {
        var deltas = new List<(uint, TableImpact)>();
        foreach (var (relid, now) in after)
        {
            before.TryGetValue(relid, out var then);
            var impact = new TableImpact
            {
                Schema = now.Schema,
                Name = now.Name,
                Inserted = now.Inserted - (then?.Inserted ?? 0),
                Updated = now.Updated - (then?.Updated ?? 0),
                Deleted = now.Deleted - (then?.Deleted ?? 0),
            };
            if (impact.Changed > 0)
            {
                deltas.Add((relid, impact));
            }
        }

        deltas.Sort((a, b) => string.CompareOrdinal(a.Item2.QualifiedName, b.Item2.QualifiedName));
        return deltas;
    }
}
