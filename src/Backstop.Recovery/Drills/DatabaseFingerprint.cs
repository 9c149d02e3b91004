using System.Globalization;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Drills;

/// <summary>A table's row count and content fingerprint (an order-independent sum of row hashes).</summary>
public sealed record TableFingerprint(string Schema, string Name, long Rows, string Hash)
{
    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>A sequence's position when it was read.</summary>
public sealed record SequenceState(string Schema, string Name, long LastValue, bool IsCalled)
{
    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>What a database holds, in a form that can be compared after a restore.</summary>
public sealed record DatabaseFingerprint
{
    public required IReadOnlyList<TableFingerprint> Tables { get; init; }

    public required IReadOnlyList<SequenceState> Sequences { get; init; }

    public required long LargeObjects { get; init; }

    public required string LargeObjectsHash { get; init; }

    /// <summary>Constraints marked NOT VALID in the source; a restore must not add others.</summary>
    public required IReadOnlyList<string> NotValidConstraints { get; init; }

    /// <summary>How many of each kind of object (index, constraint kinds, trigger, view, function, …) the user schemas hold.</summary>
    public required IReadOnlyDictionary<string, long> Objects { get; init; }

    public long TotalRows => Tables.Sum(t => t.Rows);
}

/// <summary>
/// Takes a <see cref="DatabaseFingerprint"/>. Row hashes come from <c>hash_record_extended</c> over the row, with
/// each column in its binary form where its type's hash depends on the value alone (numbers, text, times, uuid,
/// jsonb, arrays of them) and as text otherwise (enums, whose hash is an OID that a restore changes; json, xml,
/// geometric and extension types). Text forms are fixed by the session settings set here, so the same rows give
/// the same fingerprint in any cluster. Run it in a REPEATABLE READ transaction to read one snapshot.
/// </summary>
public static class Fingerprinter
{
    /// <summary>Settings that fix the text form of values (dates, floats, bytea).</summary>
    public const string SessionSettings = "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

    private const string UserRelations = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

    /// <summary>The fingerprint's format: 1 hashed numeric and interval in binary and text in its column's collation; 2 (now) does neither.</summary>
    public const int CurrentFormat = 2;

    /// <summary>
    /// Types hashed in binary. Not numeric or interval: their hash treats 10.5 and 10.50, '1 mon' and '30 days' as equal,
    /// which are different data; they are hashed as text. Collatable columns are hashed with COLLATE "C", so that a
    /// case-insensitive collation cannot make 'A' and 'a' equal.
    /// </summary>
    private static string BinaryHashTypes(int format) => string.Join(", ", new[]
    {
        "bool", "bytea", "char", "name", "int8", "int2", "int4", "text", "float4", "float8", "macaddr", "inet", "cidr",
        "bpchar", "varchar", "date", "time", "timestamp", "timestamptz", "timetz", "uuid", "jsonb",
    }.Concat(format == 1 ? ["interval", "numeric"] : []).Select(t => $"'pg_catalog.{t}'::regtype"));

    /// <summary>The user tables with their column expressions, in a stable order.</summary>
    private static string TablesQuery(int format) => $"""
        SELECT n.nspname, c.relname,
               coalesce(string_agg(
                   CASE WHEN a.atttypid IN ({BinaryHashTypes(format)}) OR (t.typcategory = 'A' AND t.typelem IN ({BinaryHashTypes(format)}))
                        THEN quote_ident(a.attname) || CASE WHEN {(format == 1 ? "false" : "true")} AND t.typcollation <> 0 THEN ' COLLATE "C"' ELSE '' END
                        ELSE quote_ident(a.attname) || '::text' END,
                   ', ' ORDER BY a.attname COLLATE "C"), '')
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_type t ON t.oid = a.atttypid
        WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND {UserRelations}
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        GROUP BY n.nspname, c.relname
        ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
        """;

    private static readonly string ObjectsQuery = $"""
        SELECT 'indexes', count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {UserRelations}
        UNION ALL
        SELECT 'constraints ' || co.contype::text, count(*) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE {UserRelations} GROUP BY co.contype
        UNION ALL
        SELECT 'triggers', count(*) FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT tg.tgisinternal AND {UserRelations}
        UNION ALL
        SELECT CASE c.relkind WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized views' WHEN 'S' THEN 'sequences' WHEN 'p' THEN 'partitioned tables' ELSE 'foreign tables' END, count(*)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm', 'S', 'p', 'f') AND {UserRelations} GROUP BY c.relkind
        UNION ALL
        SELECT 'functions', count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {UserRelations}
        """;

    private static readonly string SequencesQuery = $"""
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND {UserRelations}
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
        """;

    private static readonly string NotValidQuery = $"""
        SELECT n.nspname || '.' || coalesce(c.relname, '') || '.' || co.conname
        FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace LEFT JOIN pg_class c ON c.oid = co.conrelid
        WHERE NOT co.convalidated AND {UserRelations}
        ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", co.conname COLLATE "C"
        """;

    public static async Task<DatabaseFingerprint> TakeAsync(NpgsqlConnection connection, IProgress<string>? progress, CancellationToken cancellationToken, int format = CurrentFormat) =>
        await TakeAsync(connection, await ReadSequencesAsync(connection, cancellationToken), progress, cancellationToken, format);

    /// <summary>Sequences are not transactional: read them before the dump starts, so that a restore holds at least these values.</summary>
    public static async Task<IReadOnlyList<SequenceState>> ReadSequencesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var names = await ReadPairsAsync(connection, SequencesQuery, cancellationToken);
        var result = new List<SequenceState>();
        foreach (var (schema, name) in names)
        {
            await using var command = new NpgsqlCommand($"SELECT last_value, is_called FROM {PgIdentifier.Quote(schema)}.{PgIdentifier.Quote(name)}", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            result.Add(new SequenceState(schema, name, reader.GetInt64(0), reader.GetBoolean(1)));
        }

        return result;
    }

    public static async Task<DatabaseFingerprint> TakeAsync(NpgsqlConnection connection, IReadOnlyList<SequenceState> sequences, IProgress<string>? progress, CancellationToken cancellationToken, int format = CurrentFormat)
    {
        await using (var settings = new NpgsqlCommand(SessionSettings, connection))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }

        var tables = new List<(string Schema, string Name, string Columns)>();
        await using (var command = new NpgsqlCommand(TablesQuery(format), connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        var fingerprints = new List<TableFingerprint>(tables.Count);
        foreach (var (schema, name, columns) in tables)
        {
            progress?.Report($"{schema}.{name}");
            var hash = columns.Length == 0 ? "0" : $"hash_record_extended(ROW({columns}), 0)";
            var sql = $"SELECT count(*), coalesce(sum({hash}), 0)::text FROM ONLY {PgIdentifier.Quote(schema)}.{PgIdentifier.Quote(name)} AS r";
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            fingerprints.Add(new TableFingerprint(schema, name, reader.GetInt64(0), reader.GetString(1)));
        }

        long largeObjects;
        string largeObjectsHash;
        await using (var command = new NpgsqlCommand("SELECT count(*), coalesce(sum(hashtextextended(oid::text || ':' || md5(lo_get(oid)), 0)), 0)::text FROM pg_largeobject_metadata", connection) { CommandTimeout = 0 })
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            largeObjects = reader.GetInt64(0);
            largeObjectsHash = reader.GetString(1);
        }

        var objects = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (kind, count) in await ReadPairsAsync(connection, ObjectsQuery, cancellationToken))
        {
            objects[kind] = long.Parse(count, CultureInfo.InvariantCulture);
        }

        var notValid = new List<string>();
        await using (var command = new NpgsqlCommand(NotValidQuery, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                notValid.Add(reader.GetString(0));
            }
        }

        return new DatabaseFingerprint
        {
            Tables = fingerprints,
            Sequences = sequences,
            LargeObjects = largeObjects,
            LargeObjectsHash = largeObjectsHash,
            NotValidConstraints = notValid,
            Objects = objects,
        };
    }

    private static async Task<List<(string, string)>> ReadPairsAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var result = new List<(string, string)>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture)!));
        }

        return result;
    }
}
