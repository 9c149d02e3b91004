using System.Globalization;
using Backstop.Postgres;
using Backstop.Sql;
using Npgsql;

namespace Backstop.Core.Review;

/// <summary>Objects left half-done or running out: invalid indexes, NOT VALID constraints, sequences near their maximum.</summary>
internal static class HealthRules
{
    /// <summary>A sequence this far along its range is reported; from 90 % it is high.</summary>
    private const double SequenceWarnAt = 0.75;

    private const string InvalidIndexesSql = $"""
        SELECT n.nspname::text, c.relname::text, t.relname::text
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid AND {SchemaCatalog.UserSchemas}
        ORDER BY 1, 2
        """;

    private const string NotValidSql = $"""
        SELECT n.nspname::text, c.relname::text, k.conname::text, k.contype::text
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT k.convalidated AND k.contype IN ('c', 'f') AND {SchemaCatalog.UserSchemas}
        ORDER BY 1, 2, 3
        """;

    // A sequence owned by an int2/int4 column (pg_depend deptype 'a' for serial, 'i' for identity) runs out at the
    // column's maximum, whatever its own MAXVALUE.
    private const string SequencesSql = $"""
        SELECT n.nspname::text, s.relname::text, q.seqmax::float8, coalesce(ps.last_value, q.seqstart)::float8, q.seqincrement,
               tn.nspname::text, t.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
               CASE a.atttypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647 END::float8
        FROM pg_sequence q
        JOIN pg_class s ON s.oid = q.seqrelid JOIN pg_namespace n ON n.oid = s.relnamespace
        LEFT JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = s.relname
        LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        LEFT JOIN pg_class t ON t.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE q.seqincrement > 0 AND {SchemaCatalog.UserSchemas}
        ORDER BY 1, 2
        """;

    public static async Task<IReadOnlyList<ReviewFinding>> EvaluateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var findings = new List<ReviewFinding>();
        await using (var command = new NpgsqlCommand(InvalidIndexesSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (schema, index, table) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
                findings.Add(new ReviewFinding
                {
                    Rule = ReviewRules.InvalidIndex.Id, Severity = ReviewSeverity.Medium, Object = IdentifierDisplay.Qualified(schema, index),
                    Why = $"The index {IdentifierDisplay.Qualified(schema, index)} on {IdentifierDisplay.Qualified(schema, table)} is invalid (a CREATE or REINDEX CONCURRENTLY that failed): every write maintains it, no query uses it.",
                    Fix = $"REINDEX INDEX CONCURRENTLY {PgIdentifier.Quote(schema, index)};",
                });
            }
        }

        await using (var command = new NpgsqlCommand(NotValidSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (schema, table, name, kind) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
                findings.Add(new ReviewFinding
                {
                    Rule = ReviewRules.NotValidConstraint.Id, Severity = ReviewSeverity.Low,
                    Object = IdentifierDisplay.Qualified(schema, table) + "." + IdentifierDisplay.Name(name),
                    Why = $"The {(kind == "f" ? "foreign key" : "check constraint")} {IdentifierDisplay.Name(name)} on {IdentifierDisplay.Qualified(schema, table)} was added NOT VALID and never validated, so older rows may break it.",
                    Fix = $"ALTER TABLE {PgIdentifier.Quote(schema, table)} VALIDATE CONSTRAINT {PgIdentifier.Quote(name)};",
                });
            }
        }

        await using (var command = new NpgsqlCommand(SequencesSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (schema, sequence, sequenceMax, last) = (reader.GetString(0), reader.GetString(1), reader.GetDouble(2), reader.GetDouble(3));
                var columnMax = reader.IsDBNull(9) ? double.MaxValue : reader.GetDouble(9);
                var max = Math.Min(sequenceMax, columnMax);
                var used = max > 0 ? last / max : 0;
                if (used < SequenceWarnAt)
                {
                    continue;
                }

                var byColumn = columnMax < sequenceMax;
                var column = byColumn ? $"{IdentifierDisplay.Qualified(reader.GetString(5), reader.GetString(6))}.{IdentifierDisplay.Name(reader.GetString(7))}" : null;
                findings.Add(new ReviewFinding
                {
                    Rule = ReviewRules.SequenceNearMaximum.Id, Severity = used >= 0.9 ? ReviewSeverity.High : ReviewSeverity.Medium,
                    Object = IdentifierDisplay.Qualified(schema, sequence),
                    Why = $"{IdentifierDisplay.Qualified(schema, sequence)} is at {last.ToString("N0", CultureInfo.InvariantCulture)} of {max.ToString("N0", CultureInfo.InvariantCulture)} ({used.ToString("P0", CultureInfo.InvariantCulture)})"
                        + (byColumn ? $", the maximum of the {reader.GetString(8)} column {column}" : "") + "; inserts fail when it runs out.",
                    Fix = byColumn
                        ? $"ALTER TABLE {PgIdentifier.Quote(reader.GetString(5), reader.GetString(6))} ALTER COLUMN {PgIdentifier.Quote(reader.GetString(7))} TYPE bigint;  -- rewrites the table: plan it"
                        : $"ALTER SEQUENCE {PgIdentifier.Quote(schema, sequence)} AS bigint NO MAXVALUE;",
                });
            }
        }

        return findings;
    }
}
