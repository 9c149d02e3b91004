using Npgsql;
using NpgsqlTypes;

namespace Backstop.Core.Undo;

/// <summary>
/// Reads what a change captured and writes the script that takes it back: rows it created are deleted
/// (children before parents), rows it removed are inserted again (parents before children), rows it modified
/// are set back; and lists the rows that changed since, which undo leaves alone.
/// </summary>
public static class UndoPlanner
{
    private const int ConflictsShownPerTable = 1000;

    /// <summary>Half of the 32-bit transaction-id space, less a margin.</summary>
    private const long MaxTransactionsSince = 2_000_000_000;

    /// <summary>Memory for the sorts of a large undo, for its transaction only.</summary>
    private const string SortMemory = "256MB";

    /// <exception cref="UndoUnavailableException">the target has no before-images of this change.</exception>
    public static async Task<UndoPlan> PlanAsync(NpgsqlConnection connection, Guid changeId, long localId, CancellationToken cancellationToken)
    {
        // Images a guard kept as staged rows become tables first (capture migration 0006), in a transaction of their own.
        await Capture.PersistentCapture.MaterializeAsync(connection, changeId, cancellationToken);

        // Planning only reads; its sorts get the same memory as the undo's own (see SortMemory).
        await using var reading = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var memory = new NpgsqlCommand($"SET LOCAL work_mem = '{SortMemory}'", connection))
        {
            await memory.ExecuteNonQueryAsync(cancellationToken);
        }

        var plan = await PlanInTransactionAsync(connection, changeId, localId, cancellationToken);
        await reading.CommitAsync(cancellationToken);
        return plan;
    }

    private static async Task<UndoPlan> PlanInTransactionAsync(NpgsqlConnection connection, Guid changeId, long localId, CancellationToken cancellationToken)
    {
        var tables = await ReadTablesAsync(connection, changeId, localId, cancellationToken);
        foreach (var table in tables)
        {
            // Image tables are written once and never analyzed; without statistics the planner takes a million images
            // for two hundred and plans the undo's joins accordingly.
            await using var analyze = new NpgsqlCommand($"ANALYZE {Postgres.PgIdentifier.Quote(Capture.CaptureSchema.Name, table.ImageTable)}", connection);
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var ordered = await ParentsFirstAsync(connection, tables, cancellationToken);

        // Each key's first and last image. When the change wrote a table in one statement that moved no keys, every key
        // has one image, and the images are read as they are (the counts are the captured ones). Otherwise they are
        // found once (one sort of the images) into a temporary table of this session that the counts, the conflicts
        // and the undo's statements, in its preview and its run, all read.
        var sql = new Dictionary<uint, UndoSql>();
        var work = new Dictionary<uint, (long Deletes, long Reinserts, long Reverts)>();
        foreach (var table in ordered.Where(t => t.HasPrimaryKey))
        {
            if (table.SingleImagePerKey)
            {
                sql[table.RelationId] = new UndoSql(table);
                work[table.RelationId] = (table.Captured.Inserted, table.Captured.Deleted, table.Captured.Updated);
                continue;
            }

            var net = $"backstop_net_{table.RelationId}";
            await using var materialize = new NpgsqlCommand(
                $"DROP TABLE IF EXISTS pg_temp.{net}; CREATE TEMP TABLE {net} AS {new UndoSql(table).NetQuery}; ANALYZE pg_temp.{net}", connection);
            await materialize.ExecuteNonQueryAsync(cancellationToken);
            sql[table.RelationId] = new UndoSql(table, $"pg_temp.{net}");
        }

        foreach (var table in ordered.Where(t => !work.ContainsKey(t.RelationId)))
        {
            await using var count = new NpgsqlCommand(table.HasPrimaryKey ? sql[table.RelationId].Counts() : new WholeRowUndoSql(table).Counts(), connection);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            work[table.RelationId] = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        // Columns the change dropped come back first, so that rows can be set back with them. Then rows the change
        // removed come back (parents first) and rows it modified are set back, and only then are the rows it created
        // deleted (children first): when the change moved keys (UPDATE … SET id = id + 1000 with ON UPDATE CASCADE),
        // the children point at the new keys until they are set back, and deleting those first would cascade.
        var (statements, columnConflicts, refilled) = await DroppedColumnRestore.PlanAsync(connection, changeId, cancellationToken);
        var expected = statements.Select(_ => (long?)null).ToList();
        foreach (var table in ordered.Where(t => work[t.RelationId].Reinserts > 0))
        {
            statements.Add(table.HasPrimaryKey ? sql[table.RelationId].Reinsert() : new WholeRowUndoSql(table).Reinsert());
            expected.Add(work[table.RelationId].Reinserts);
        }

        foreach (var table in ordered.Where(t => work[t.RelationId].Reverts > 0))
        {
            if (sql[table.RelationId].Revert() is { } revert)
            {
                statements.Add(revert);
                expected.Add(work[table.RelationId].Reverts);
            }
        }

        foreach (var table in Enumerable.Reverse(ordered).Where(t => work[t.RelationId].Deletes > 0))
        {
            statements.Add(table.HasPrimaryKey ? sql[table.RelationId].Delete() : new WholeRowUndoSql(table).Delete());
            expected.Add(work[table.RelationId].Deletes);
        }

        // Large objects the change removed are created again under their own OIDs, with the data kept before it ran (their
        // owner and privileges become the undoing role's). One created again since is a conflict PostgreSQL reports.
        if (await ExistsAsync(connection, "SELECT to_regclass('backstop.large_objects') IS NOT NULL", changeId, cancellationToken)
            && await ExistsAsync(connection, "SELECT EXISTS (SELECT FROM backstop.large_objects WHERE change_id = @id)", changeId, cancellationToken))
        {
            statements.Add($"SELECT lo_from_bytea(l.loid, l.data) FROM backstop.large_objects l WHERE l.change_id = '{changeId:D}'");
            expected.Add(null);
        }

        // Sequences a TRUNCATE … RESTART IDENTITY set back go forward again to where they stood, never backwards (rows
        // inserted since keep their numbers). setval is not transactional, so the undo's preview does not run it.
        if (await ExistsAsync(connection, "SELECT to_regclass('backstop.change_sequences') IS NOT NULL", changeId, cancellationToken)
            && await ExistsAsync(connection, "SELECT EXISTS (SELECT FROM backstop.change_sequences WHERE change_id = @id)", changeId, cancellationToken))
        {
            statements.Add(
                "SELECT setval(s.sequence_name::regclass, greatest(s.last_value, coalesce(pg_sequence_last_value(s.sequence_name::regclass), 0))) " +
                $"FROM backstop.change_sequences s WHERE s.change_id = '{changeId:D}'");
            expected.Add(null);
        }

        // Conflicts are not looked for here: a row that changed since is one a statement skips, so when every statement
        // of the undo's preview matches as many rows as planned there are none, and the join that lists them (about as
        // long as the undo's own UPDATE) is only needed when one falls short (FindConflictsAsync).
        var conflictQueries = ordered.Select(t => (t.QualifiedName, t.HasPrimaryKey ? sql[t.RelationId].Conflicts() : new WholeRowUndoSql(t).Conflicts())).ToList();

        // Finding each key's first and last image sorts the images; with the default work_mem (4 MB) a large change
        // sorts on disk. The setting lasts only for the undo's transaction.
        if (statements.Count > 0 && work.Values.Sum(w => w.Deletes + w.Reinserts + w.Reverts) > 100_000)
        {
            statements.Insert(0, $"SET LOCAL work_mem = '{SortMemory}'");
            expected.Insert(0, null);
        }

        var script = statements.Count == 0 ? "" : string.Join(";\n", statements) + ";\n";
        var bounds = ordered.ToDictionary(t => t.QualifiedName, t => (Updated: work[t.RelationId].Reverts, Deleted: work[t.RelationId].Deletes), StringComparer.Ordinal);
        foreach (var table in refilled)
        {
            // Filling a restored column updates every row of its table.
            bounds[table] = (long.MaxValue, bounds.GetValueOrDefault(table).Deleted);
        }

        return new UndoPlan(script, columnConflicts, ordered.Select(t => t.QualifiedName).ToList())
        {
            Bounds = bounds,
            ExpectedRows = expected,
            ConflictQueries = conflictQueries,
        };
    }

    /// <summary>
    /// The rows the undo would skip because they changed since the change (at most 1,000 per table), and the columns
    /// it cannot bring back. Run on the connection that planned the undo: the plan's statements read its temporary tables.
    /// </summary>
    public static async Task<IReadOnlyList<UndoConflict>> FindConflictsAsync(NpgsqlConnection connection, UndoPlan plan, CancellationToken cancellationToken)
    {
        var conflicts = new List<UndoConflict>(plan.Conflicts);
        await using var reading = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var memory = new NpgsqlCommand($"SET LOCAL work_mem = '{SortMemory}'", connection))
        {
            await memory.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (table, query) in plan.ConflictQueries)
        {
            await using var command = new NpgsqlCommand($"WITH found AS MATERIALIZED ({query}) SELECT * FROM found ORDER BY 1 LIMIT {ConflictsShownPerTable}", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                conflicts.Add(new UndoConflict(table, reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }
        }

        await reading.CommitAsync(cancellationToken);
        return conflicts;
    }

    /// <summary>
    /// Whether a preview of the plan's script shows every statement matching as many rows as planned: then no row
    /// changed since the change. False when a statement fell short or its count is not known (it was estimated).
    /// </summary>
    public static bool MatchedAsPlanned(UndoPlan plan, IReadOnlyList<Preview.StatementImpact> preview) =>
        plan.Conflicts.Count == 0
        && preview.Count == plan.ExpectedRows.Count
        && preview.Zip(plan.ExpectedRows).All(p => p.Second is not { } rows || (p.First.Executed && !p.First.Estimated && p.First.RowCount == rows));

    private static async Task<List<UndoTable>> ReadTablesAsync(NpgsqlConnection connection, Guid changeId, long localId, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(connection, "SELECT to_regclass('backstop.changes') IS NOT NULL", changeId, cancellationToken)
            || !await ExistsAsync(connection, "SELECT EXISTS (SELECT 1 FROM backstop.changes WHERE change_id = @id)", changeId, cancellationToken))
        {
            throw new UndoUnavailableException(
                $"the target database has no record of change {localId} in backstop.changes: it did not commit, or its before-images were purged; nothing was changed");
        }

        // Rows are known unchanged since the change by their xmin, a 32-bit transaction id that comes round again after
        // 4 billion transactions: beyond half of that, an equal xmin no longer proves the same transaction.
        if (await ExistsAsync(
                connection,
                "SELECT EXISTS (SELECT 1 FROM backstop.changes WHERE change_id = @id AND xact_id IS NOT NULL " +
                $"AND pg_current_xact_id()::text::numeric - xact_id::text::numeric > {MaxTransactionsSince})",
                changeId,
                cancellationToken))
        {
            throw new UndoUnavailableException(
                $"more than {MaxTransactionsSince:N0} transactions have run on this database since change {localId}, too many for undo to tell the rows it left " +
                "from rows written since (transaction ids wrap around); nothing was changed. Repair from a backup or a point-in-time clone instead (backstop repair)");
        }

        var tables = new List<UndoTable>();
        await using var command = new NpgsqlCommand(
            """
            SELECT ct.relid, n.nspname, c.relname, ct.image_table, ct.key_columns,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
                   array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum),
                   array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity <> 'a'
                         AND a.attname <> ALL (ct.key_columns) ORDER BY a.attnum),
                   c.oid IS NULL,
                   array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = i.oid AND a.attnum > 0 AND NOT a.attisdropped
                         AND a.attname NOT IN ('backstop_op', 'backstop_seq', 'backstop_row_xmin') ORDER BY a.attnum),
                   (SELECT bool_and(EXISTS (SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
                                            WHERE am.amname = 'btree' AND oc.opcdefault AND oc.opcintype = a.atttypid))
                    FROM pg_attribute a WHERE a.attrelid = i.oid AND a.attnum > 0 AND NOT a.attisdropped),
                   ct.firings = 1 AND NOT ct.marked, ct.inserted, ct.updated, ct.deleted,
                   NOT ct.marked AND ct.first_op IS NOT NULL, ct.first_op::text, ct.first_seq,
                   EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.oid AND a.attname = 'backstop_row_xmin' AND NOT a.attisdropped)
            FROM backstop.change_tables ct
            JOIN pg_class i ON i.relname = ct.image_table AND i.relnamespace = 'backstop'::regnamespace
            LEFT JOIN pg_class c ON c.oid = ct.relid
            LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE ct.change_id = @id AND ct.inserted + ct.updated + ct.deleted > 0
            ORDER BY ct.schema_name, ct.table_name
            """, connection);
        command.Parameters.AddWithValue("id", changeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(8))
            {
                throw new UndoUnavailableException($"a table change {localId} wrote no longer exists (it was dropped since); restore it first (see `backstop trash list`)");
            }

            var rowComparable = !reader.IsDBNull(10) && reader.GetBoolean(10);
            var image = Postgres.PgIdentifier.Quote(Capture.CaptureSchema.Name, reader.GetString(3));
            // An image made from persistent capture's staged rows (capture migration 0006) keeps each row's xmin in a
            // column: the image table itself was written after the change's transaction.
            var xmin = reader.GetBoolean(18) ? "backstop_row_xmin" : "xmin";
            var source = reader.GetBoolean(15)
                ? $"(SELECT *, {Postgres.PgLiteral.Quote(reader.GetString(16))}::\"char\" AS backstop_op, {reader.GetInt64(17).ToString(System.Globalization.CultureInfo.InvariantCulture)}::bigint AS backstop_seq, {xmin} AS backstop_xmin FROM {image})"
                : $"(SELECT *, {xmin} AS backstop_xmin FROM {image})";
            if (!reader.GetBoolean(5) && !rowComparable)
            {
                throw new UndoUnavailableException(
                    $"{reader.GetString(1)}.{reader.GetString(2)} has no primary key and a column without an equality operator (json, point, xml), so its rows cannot be matched; nothing was changed");
            }

            tables.Add(new UndoTable(
                reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(6), reader.GetFieldValue<string[]>(7),
                reader.GetFieldValue<string[]>(9), rowComparable)
            {
                HasPrimaryKey = reader.GetBoolean(5),
                SingleImagePerKey = reader.GetBoolean(11),
                ImageSource = source,
                Captured = (reader.GetInt64(12), reader.GetInt64(13), reader.GetInt64(14)),
            });
        }

        return tables;
    }

    /// <summary>Orders tables so that a table comes after every captured table its foreign keys point at (see <see cref="UndoOrder"/>).</summary>
    private static async Task<List<UndoTable>> ParentsFirstAsync(NpgsqlConnection connection, List<UndoTable> tables, CancellationToken cancellationToken)
    {
        var foreignKeys = new List<(uint Child, uint Parent)>();
        await using (var command = new NpgsqlCommand(
            "SELECT conrelid, confrelid FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(@ids) AND confrelid = ANY(@ids)", connection))
        {
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Oid) { Value = tables.Select(t => t.RelationId).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                foreignKeys.Add((reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1)));
            }
        }

        var byId = tables.ToDictionary(t => t.RelationId);
        return UndoOrder.ParentsFirst(tables.Select(t => t.RelationId).ToList(), foreignKeys).Select(id => byId[id]).ToList();
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, Guid changeId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", changeId);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
