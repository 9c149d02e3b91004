using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>A repair was asked for something that does not exist or cannot be compared; nothing was changed (exit 2).</summary>
public sealed class RepairUsageException(string message) : Exception(message);

/// <summary>A column of a repaired table: its name, its type as the catalog spells it, and how it hashes.</summary>
public sealed record RepairColumn(string Name, string Type, bool BinaryHash, bool Collatable = false)
{
    /// <summary>NOT NULL without a default (nor identity): an INSERT must give it a value.</summary>
    public bool Required { get; init; }

    public string Quoted => PgIdentifier.Quote(Name);

    /// <summary>
    /// The column as an argument of <c>hash_record_extended</c>: binary where the type's hash tells different data apart
    /// (with COLLATE "C" for text, so that a case-insensitive collation cannot make 'A' and 'a' equal), text otherwise
    /// (numeric and interval too: 10.5 and 10.50, '1 mon' and '30 days' hash alike in binary).
    /// </summary>
    public string HashExpression(string alias) => BinaryHash ? $"{alias}.{Quoted}{(Collatable ? " COLLATE \"C\"" : "")}" : $"{alias}.{Quoted}::text";
}

/// <summary>
/// The table a repair works on, resolved on the target: its key (the primary key unless <c>--key</c>), the columns
/// to restore (all non-key columns unless <c>--columns</c>), and every column (for re-inserting missing rows).
/// </summary>
public sealed record RepairTable
{
    public required string Schema { get; init; }

    public required string Name { get; init; }

    public required IReadOnlyList<RepairColumn> Key { get; init; }

    public required IReadOnlyList<RepairColumn> Columns { get; init; }

    /// <summary>Every column that can be written (not generated), for INSERT of missing rows.</summary>
    public required IReadOnlyList<RepairColumn> Insertable { get; init; }

    public required bool HasIdentityAlways { get; init; }

    /// <summary>Target columns the source lacks (or has with another type): re-inserted rows leave them to their defaults.</summary>
    public IReadOnlyList<RepairColumn> ColumnsLackingInSource { get; init; } = [];

    public string QualifiedName => $"{Schema}.{Name}";

    public string Quoted => PgIdentifier.Quote(Schema, Name);

    private const string ColumnsQuery = """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod),
               a.atttypid IN ('bool'::regtype, 'bytea'::regtype, 'char'::regtype, 'name'::regtype, 'int8'::regtype, 'int2'::regtype, 'int4'::regtype,
                              'text'::regtype, 'float4'::regtype, 'float8'::regtype, 'macaddr'::regtype, 'inet'::regtype, 'cidr'::regtype, 'bpchar'::regtype,
                              'varchar'::regtype, 'date'::regtype, 'time'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                              'timetz'::regtype, 'uuid'::regtype, 'jsonb'::regtype),
               a.attgenerated <> '', a.attidentity = 'a',
               coalesce(a.attnum = ANY (i.indkey), false), a.attcollation <> 0,
               a.attnotnull AND NOT a.atthasdef AND a.attidentity = ''
        FROM pg_attribute a
        LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
        WHERE a.attrelid = @relid AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """;

    /// <summary>Resolves <paramref name="table"/> (<c>name</c> or <c>schema.name</c>) on <paramref name="connection"/>.</summary>
    /// <exception cref="RepairUsageException">no such table, column or key.</exception>
    public static async Task<RepairTable> ResolveAsync(NpgsqlConnection connection, string table, IReadOnlyList<string>? columns, IReadOnlyList<string>? key, CancellationToken cancellationToken)
    {
        uint relid;
        string schema, name;
        await using (var find = new NpgsqlCommand(
            "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(@name) AND c.relkind IN ('r', 'p')", connection))
        {
            find.Parameters.AddWithValue("name", table);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new RepairUsageException($"there is no table '{table}' in database '{connection.Database}'; give it as name or schema.name");
            }

            (relid, schema, name) = (reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2));
        }

        var all = new List<(RepairColumn Column, bool Generated, bool IdentityAlways, bool InPrimaryKey)>();
        await using (var command = new NpgsqlCommand(ColumnsQuery, connection))
        {
            command.Parameters.Add(new NpgsqlParameter("relid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = relid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                all.Add((new RepairColumn(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(6)) { Required = reader.GetBoolean(7) }, reader.GetBoolean(3), reader.GetBoolean(4), reader.GetBoolean(5)));
            }
        }

        RepairColumn Named(string column, string option) =>
            all.FirstOrDefault(c => c.Column.Name == column).Column
            ?? throw new RepairUsageException($"table {schema}.{name} has no column '{column}' ({option}); its columns: {string.Join(", ", all.Select(c => c.Column.Name))}");

        var keyColumns = key is { Count: > 0 }
            ? key.Select(k => Named(k, "--key")).ToList()
            : all.Where(c => c.InPrimaryKey).Select(c => c.Column).ToList();
        if (keyColumns.Count == 0)
        {
            throw new RepairUsageException($"table {schema}.{name} has no primary key; say which columns identify a row with --key c1,c2");
        }

        var keyNames = keyColumns.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        var repaired = columns is { Count: > 0 }
            ? columns.Select(c => Named(c, "--columns")).ToList()
            : all.Where(c => !keyNames.Contains(c.Column.Name) && !c.Generated).Select(c => c.Column).ToList();
        if (repaired.FirstOrDefault(c => keyNames.Contains(c.Name)) is { } keyColumn)
        {
            throw new RepairUsageException($"--columns names '{keyColumn.Name}', which is part of the key; a repair restores values by key, so the key itself cannot be repaired");
        }

        if (repaired.FirstOrDefault(c => all.First(a => a.Column.Name == c.Name).Generated) is { } generated)
        {
            throw new RepairUsageException($"column '{generated.Name}' is generated; it follows the columns it is computed from, repair those instead");
        }

        return new RepairTable
        {
            Schema = schema,
            Name = name,
            Key = keyColumns,
            Columns = repaired,
            Insertable = all.Where(c => !c.Generated).Select(c => c.Column).ToList(),
            HasIdentityAlways = all.Any(c => c.IdentityAlways),
        };
    }

    /// <summary>
    /// Checks that <paramref name="source"/> has the same table with the same column types, and that the key is unique
    /// there; returns the table with <see cref="Insertable"/> narrowed to the columns the source has with the same type
    /// (a column added to the target since is left to its default when a missing row is re-inserted).
    /// </summary>
    /// <exception cref="RepairUsageException">it does not, or a column the source lacks would need a value.</exception>
    public async Task<RepairTable> CheckSourceAsync(NpgsqlConnection source, string sourceName, CancellationToken cancellationToken)
    {
        RepairTable there;
        try
        {
            there = await ResolveAsync(source, Quoted, Columns.Select(c => c.Name).ToList(), Key.Select(k => k.Name).ToList(), cancellationToken);
        }
        catch (RepairUsageException e)
        {
            throw new RepairUsageException($"in the source {sourceName}: {e.Message}");
        }

        var sourceTypes = there.Insertable.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal);
        var lacking = Insertable.Where(c => sourceTypes.GetValueOrDefault(c.Name) != c.Type).ToList();
        var narrowed = this with { Insertable = Insertable.Except(lacking).ToList(), ColumnsLackingInSource = lacking };

        foreach (var column in Key.Concat(Columns))
        {
            var other = there.Key.Concat(there.Columns).First(c => c.Name == column.Name);
            if (other.Type != column.Type)
            {
                throw new RepairUsageException($"column {QualifiedName}.{column.Name} is {column.Type} in the target but {other.Type} in the source {sourceName}; a repair only copies values between columns of the same type");
            }
        }

        // A valid, immediate primary key or unique index on exactly the key columns (not partial, not on expressions),
        // with every key column NOT NULL (a unique index lets NULL keys repeat), already guarantees it.
        await using (var unique = new NpgsqlCommand(
            """
            SELECT EXISTS (
                SELECT FROM pg_index i
                WHERE i.indrelid = to_regclass(@table) AND i.indisunique AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)
                  AND (SELECT array_agg(a.attname::text ORDER BY a.attname COLLATE "C") FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = @key)
            """, source))
        {
            unique.Parameters.AddWithValue("table", Quoted);
            unique.Parameters.AddWithValue("key", Key.Select(k => k.Name).Order(StringComparer.Ordinal).ToArray());
            if (await unique.ExecuteScalarAsync(cancellationToken) is true)
            {
                return narrowed;
            }
        }

        var keyList = string.Join(", ", Key.Select(k => k.Quoted));
        await using var duplicates = new NpgsqlCommand($"SELECT {keyList} FROM {Quoted} GROUP BY {keyList} HAVING count(*) > 1 LIMIT 1", source) { CommandTimeout = 0 };
        await using var reader = await duplicates.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            var values = string.Join(", ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : reader.GetValue(i).ToString()));
            throw new RepairUsageException($"the key ({string.Join(", ", Key.Select(k => k.Name))}) is not unique in the source {sourceName}: ({values}) appears more than once; give columns that identify one row with --key");
        }

        return narrowed;
    }
}
