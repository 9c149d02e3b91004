using System.Text.Json;
using Backstop.Core.Changes;
using Backstop.Postgres;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.RecycleBin;

/// <summary>
/// The recycle bin: a DROP TABLE run through Backstop moves the table into a schema of its own,
/// <c>backstop_trash_&lt;id&gt;</c>, instead of dropping it, with its data, indexes, constraints and triggers (ALTER TABLE …
/// SET SCHEMA moves them all); foreign keys of other tables that pointed at it are recorded, dropped as CASCADE would, and
/// re-created on restore.
/// </summary>
public static class TrashBin
{
    /// <summary>The prefix of the bin's schemas: one per item.</summary>
    public const string Schema = "backstop_trash";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Moves the tables of a DROP TABLE into the bin. Returns false when the statement should run as written: not a
    /// DROP TABLE, or one PostgreSQL itself would refuse (a missing table without IF EXISTS, dependents without CASCADE),
    /// so that the user sees PostgreSQL's own error.
    /// </summary>
    /// <exception cref="RecycleBinException">a table the bin cannot keep faithfully (partitioned, or with views on it).</exception>
    /// <param name="sizes">the rows of the tables it drops, as counted just before (exact up to 32 MB, else estimated).</param>
    internal static async Task<bool> TryMoveAsync(NpgsqlConnection connection, Guid changeId, AnalyzedStatement statement, IReadOnlyDictionary<uint, Preview.TableSize> sizes, CancellationToken cancellationToken)
    {
        var info = statement.Info;
        if (info.Kind == StatementKind.DropSchema)
        {
            return await SchemaTrash.TryMoveAsync(connection, changeId, statement, sizes, cancellationToken);
        }

        if (info.Kind != StatementKind.DropTable)
        {
            return false;
        }

        var ifExists = HasIfExists(statement);
        var tables = new List<(uint Id, string Schema, string Name, long Rows, bool Estimated)>();
        foreach (var target in info.Targets)
        {
            await using var find = new NpgsqlCommand(
                "SELECT c.oid, n.nspname, c.relname, c.relkind::text, greatest(c.reltuples, 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(@name)", connection);
            find.Parameters.AddWithValue("name", PgIdentifier.Quote(target.Schema, target.Name));
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                if (ifExists)
                {
                    continue;
                }

                return false;
            }

            if (reader.GetString(3) != "r")
            {
                throw new RecycleBinException(
                    $"{reader.GetString(1)}.{reader.GetString(2)} is not a plain table (relkind {reader.GetString(3)}); the recycle bin keeps plain tables only, so nothing was dropped. Drop it outside Backstop if you mean it");
            }

            var id = reader.GetFieldValue<uint>(0);
            tables.Add(sizes.GetValueOrDefault(id) is { Rows: { } rows } size
                ? (id, reader.GetString(1), reader.GetString(2), rows, size.Estimated)
                : (id, reader.GetString(1), reader.GetString(2), reader.GetInt64(4), true));
        }

        var dropped = tables.Select(t => t.Id).ToArray();
        foreach (var table in tables)
        {
            var foreignKeys = await ForeignKeysIntoAsync(connection, table.Id, dropped, cancellationToken);
            var views = await DependentViewsAsync(connection, table.Id, cancellationToken);
            if ((foreignKeys.Count > 0 || views.Count > 0) && !info.Cascade)
            {
                return false;
            }

            if (views.Count > 0)
            {
                throw new RecycleBinException(
                    $"views depend on {table.Schema}.{table.Name} ({string.Join(", ", views)}); the recycle bin keeps tables, not the views on them, so nothing was dropped. Drop the views in a statement of their own first");
            }

            var trashId = Guid.CreateVersion7().ToString("N")[..16];
            // A schema of its own per item: the table keeps its name, and so do its indexes and owned sequences, which
            // would collide in a shared bin schema the second time a table of the same name is dropped.
            var trashName = $"{Schema}_{trashId}";
            var sql = string.Concat(foreignKeys.Select(fk => $"ALTER TABLE {PgIdentifier.Quote(fk.Schema, fk.Table)} DROP CONSTRAINT {PgIdentifier.Quote(fk.Name)}; "))
                + $"CREATE SCHEMA {PgIdentifier.Quote(trashName)}; "
                + $"ALTER TABLE {PgIdentifier.Quote(table.Schema, table.Name)} SET SCHEMA {PgIdentifier.Quote(trashName)}; "
                + "INSERT INTO backstop.trash (trash_id, change_id, original_schema, original_name, trash_name, row_estimate, rows_estimated, foreign_keys) VALUES (@id, @change, @schema, @name, @trash, @rows, @estimated, @fks::jsonb)";
            await using var move = new NpgsqlCommand(sql, connection);
            move.Parameters.AddWithValue("id", trashId);
            move.Parameters.AddWithValue("change", changeId);
            move.Parameters.AddWithValue("schema", table.Schema);
            move.Parameters.AddWithValue("name", table.Name);
            move.Parameters.AddWithValue("trash", trashName);
            move.Parameters.AddWithValue("rows", table.Rows);
            move.Parameters.AddWithValue("estimated", table.Estimated);
            move.Parameters.AddWithValue("fks", JsonSerializer.Serialize(foreignKeys, Json));
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        return true;
    }

    private static bool HasIfExists(AnalyzedStatement statement)
    {
        var tokens = statement.Statement.Tokens;
        for (var i = 0; i + 1 < tokens.Count && i < 4; i++)
        {
            if (statement.Statement.TokenText(tokens[i]).Equals("IF", StringComparison.OrdinalIgnoreCase)
                && statement.Statement.TokenText(tokens[i + 1]).Equals("EXISTS", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    internal static Task<List<TrashForeignKey>> ForeignKeysIntoAsync(NpgsqlConnection connection, uint table, uint[] dropped, CancellationToken cancellationToken) =>
        Capture.CatalogText.ReadQualifiedAsync(connection, () => ReadForeignKeysIntoAsync(connection, table, dropped, cancellationToken), cancellationToken);

    private static async Task<List<TrashForeignKey>> ReadForeignKeysIntoAsync(NpgsqlConnection connection, uint table, uint[] dropped, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE con.contype = 'f' AND con.confrelid = @table AND con.conrelid <> ALL (@dropped) AND con.conparentid = 0
            ORDER BY 1, 2, 3
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("table", NpgsqlTypes.NpgsqlDbType.Oid) { Value = table });
        command.Parameters.Add(new NpgsqlParameter("dropped", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = dropped });
        var keys = new List<TrashForeignKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new TrashForeignKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return keys;
    }

    internal static async Task<List<string>> DependentViewsAsync(NpgsqlConnection connection, uint table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT DISTINCT r.ev_class::regclass::text FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
            WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = @table AND r.ev_class <> @table
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("table", NpgsqlTypes.NpgsqlDbType.Oid) { Value = table });
        var views = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            views.Add(reader.GetString(0));
        }

        return views;
    }

    /// <param name="olderThan">only items dropped longer ago than this, by the server's clock; null for all.</param>
    public static async Task<IReadOnlyList<TrashItem>> ListAsync(NpgsqlConnection connection, CancellationToken cancellationToken, TimeSpan? olderThan = null)
    {
        var items = new List<TrashItem>();
        if (!await BinExistsAsync(connection, cancellationToken))
        {
            return items;
        }

        await using var command = new NpgsqlCommand(
            "SELECT trash_id, change_id, original_schema, original_name, trash_name, row_estimate, dropped_at, kind, rows_estimated FROM backstop.trash " +
            "WHERE @age::interval IS NULL OR dropped_at < now() - @age::interval ORDER BY dropped_at DESC", connection);
        command.Parameters.Add(new NpgsqlParameter("age", NpgsqlTypes.NpgsqlDbType.Interval) { Value = olderThan is { } age ? age : DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new TrashItem(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5), reader.GetFieldValue<DateTimeOffset>(6))
            {
                Kind = reader.GetString(7),
                RowsEstimated = reader.GetBoolean(8),
            });
        }

        return items;
    }

    /// <summary>Moves a table back under its old name and re-creates the foreign keys that pointed at it; returns warnings.</summary>
    /// <exception cref="RecycleBinException">no such item, or its name (or schema) is not free.</exception>
    public static Task<IReadOnlyList<string>> RestoreAsync(NpgsqlConnection connection, string trashId, CancellationToken cancellationToken) =>
        RestoreAsync(connection, [trashId], beforeCommit: null, cancellationToken);

    /// <summary>
    /// Restores several items in one transaction: all of them or none. <paramref name="beforeCommit"/> runs in that
    /// transaction last (the lifecycle writes the change log's row there).
    /// </summary>
    /// <exception cref="RecycleBinException">no such item, or a name (or schema) is not free; nothing was restored.</exception>
    public static async Task<IReadOnlyList<string>> RestoreAsync(
        NpgsqlConnection connection, IReadOnlyList<string> trashIds, Func<CancellationToken, Task>? beforeCommit, CancellationToken cancellationToken)
    {
        var items = await ListAsync(connection, cancellationToken);
        var missing = trashIds.Where(id => items.All(i => i.TrashId != id)).ToList();
        if (missing.Count > 0)
        {
            throw new RecycleBinException($"there is no item '{missing[0]}' in the recycle bin; list them with `backstop trash list`");
        }

        var warnings = new List<string>();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var trashId in trashIds)
        {
            warnings.AddRange(await RestoreOneAsync(connection, items.First(i => i.TrashId == trashId), cancellationToken));
        }

        if (beforeCommit is not null)
        {
            await beforeCommit(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return warnings;
    }

    private static async Task<IReadOnlyList<string>> RestoreOneAsync(NpgsqlConnection connection, TrashItem item, CancellationToken cancellationToken)
    {
        var trashId = item.TrashId;
        var schemaExists = await ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @name)", item.OriginalSchema, cancellationToken);
        if (item.IsSchema && schemaExists)
        {
            throw new RecycleBinException($"a schema named {item.OriginalSchema} exists again; rename or drop it first, then restore again");
        }

        if (!item.IsSchema && await ScalarAsync<bool>(connection, "SELECT to_regclass(@name) IS NOT NULL", PgIdentifier.Quote(item.OriginalSchema, item.OriginalName), cancellationToken))
        {
            throw new RecycleBinException($"the name {item.OriginalQualifiedName} is taken by another table; rename or drop that table first, then restore again");
        }

        if (!item.IsSchema && !schemaExists)
        {
            throw new RecycleBinException($"the schema {item.OriginalSchema} no longer exists; create it first, then restore again");
        }

        var keys = JsonSerializer.Deserialize<List<TrashForeignKey>>(
            await ScalarAsync<string>(connection, "SELECT foreign_keys::text FROM backstop.trash WHERE trash_id = @name", trashId, cancellationToken), Json) ?? [];
        var moveBack = item.IsSchema
            ? $"ALTER SCHEMA {PgIdentifier.Quote(item.TrashName)} RENAME TO {PgIdentifier.Quote(item.OriginalSchema)}"
            : $"ALTER TABLE {PgIdentifier.Quote(item.TrashName, item.OriginalName)} SET SCHEMA {PgIdentifier.Quote(item.OriginalSchema)}; " +
              $"DROP SCHEMA {PgIdentifier.Quote(item.TrashName)}";
        await using (var move = new NpgsqlCommand(moveBack, connection))
        {
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        var warnings = new List<string>();
        foreach (var key in keys)
        {
            var table = PgIdentifier.Quote(key.Schema, key.Table);
            var name = PgIdentifier.Quote(key.Name);

            // The definition is PostgreSQL's own (pg_get_constraintdef). NOT VALID first, so that rows written while the
            // table was in the bin cannot block the restore; then validate, and say so if they break it.
            await using (var add = new NpgsqlCommand($"ALTER TABLE {table} ADD CONSTRAINT {name} {key.Definition} NOT VALID", connection))
            {
                await add.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var validate = new NpgsqlCommand($"SAVEPOINT backstop_validate; ALTER TABLE {table} VALIDATE CONSTRAINT {name}; RELEASE SAVEPOINT backstop_validate", connection);
            try
            {
                await validate.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                await using var back = new NpgsqlCommand("ROLLBACK TO SAVEPOINT backstop_validate", connection);
                await back.ExecuteNonQueryAsync(cancellationToken);
                warnings.Add($"{key.Schema}.{key.Table} has rows written while {item.OriginalQualifiedName} was in the bin that break {key.Name}; it was restored NOT VALID ({e.MessageText})");
            }
        }

        await using (var forget = new NpgsqlCommand("DELETE FROM backstop.trash WHERE trash_id = @id", connection))
        {
            forget.Parameters.AddWithValue("id", trashId);
            await forget.ExecuteNonQueryAsync(cancellationToken);
        }

        return warnings;
    }

    /// <summary>Drops for good the tables that have been in the bin longer than <paramref name="olderThan"/> (server time); returns them and the bytes freed.</summary>
    public static async Task<(IReadOnlyList<TrashItem> Purged, long Bytes)> PurgeAsync(NpgsqlConnection connection, TimeSpan olderThan, CancellationToken cancellationToken) =>
        await PurgeAsync(connection, await ListAsync(connection, cancellationToken, olderThan), beforeCommit: null, cancellationToken);

    /// <summary>
    /// Drops for good exactly <paramref name="items"/>, in one transaction; an item no longer in the bin (restored or
    /// purged meanwhile) is skipped. <paramref name="beforeCommit"/> runs in that transaction last.
    /// </summary>
    public static async Task<(IReadOnlyList<TrashItem> Purged, long Bytes)> PurgeAsync(
        NpgsqlConnection connection, IReadOnlyList<TrashItem> items, Func<CancellationToken, Task>? beforeCommit, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var purged = new List<TrashItem>();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var present = (await ListAsync(connection, cancellationToken)).Select(i => i.TrashId).ToHashSet(StringComparer.Ordinal);
        foreach (var item in items.Where(i => present.Contains(i.TrashId)))
        {
            purged.Add(item);
            // Every item is a schema of its own (a binned table's, or a dropped schema): size it, then drop it whole.
            // CASCADE: foreign keys between tables binned together must not stop the purge.
            bytes += await ScalarAsync<long>(connection,
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @name AND c.relkind IN ('r', 'm')",
                item.TrashName, cancellationToken);
            var dropSql = $"DROP SCHEMA {PgIdentifier.Quote(item.TrashName)} CASCADE";
            await using var drop = new NpgsqlCommand($"{dropSql}; DELETE FROM backstop.trash WHERE trash_id = @id", connection);
            drop.Parameters.AddWithValue("id", item.TrashId);
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        if (beforeCommit is not null)
        {
            await beforeCommit(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (purged, bytes);
    }

    private static async Task<bool> BinExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await ScalarAsync<bool>(connection, "SELECT to_regclass(@name) IS NOT NULL", "backstop.trash", cancellationToken);

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, string parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", parameter);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
