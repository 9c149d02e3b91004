using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// Captures the old and new image of every row a change writes, inside the change's own transaction (DESIGN.md,
/// D3): statement-level AFTER triggers with transition tables on every table the preview showed as affected,
/// created when the change starts and dropped before it commits, so capture costs nothing outside guarded changes.
/// </summary>
internal sealed class ChangeCapture
{
    private static readonly string[] Events = ["INSERT", "UPDATE", "DELETE"];

    private readonly NpgsqlConnection _connection;
    private readonly List<CapturedTable> _tables;
    private readonly string _role;

    private ChangeCapture(NpgsqlConnection connection, List<CapturedTable> tables, string role, IReadOnlySet<string> created)
    {
        _connection = connection;
        _tables = tables;
        _role = role;
        CreatedByChange = created;
    }

    /// <summary>Tables the preview showed that did not exist when the change began: the change creates them, and undo leaves them.</summary>
    public IReadOnlySet<string> CreatedByChange { get; }

    /// <summary>
    /// Writes the change's row in the target database's change log, in the caller's transaction (the schema must be at
    /// this Backstop's version already: <see cref="CaptureSchema.EnsureAsync"/>, before the transaction): it commits if
    /// and only if the change does, which is how a crash is settled later. Returns the role.
    /// </summary>
    internal static async Task<string> LogAsync(NpgsqlConnection connection, CaptureRequest request, CancellationToken cancellationToken)
    {
        var (role, _) = await WhoAmIAsync(connection, cancellationToken);
        await CaptureSchema.HoldAsync(connection, cancellationToken);
        await using var insert = new NpgsqlCommand(
            "INSERT INTO backstop.changes (change_id, local_id, environment, os_user, script_sha256, undo_of, xact_id) VALUES (@id, @local, @environment, @user, @sha, @undo, pg_current_xact_id())", connection);
        insert.Parameters.AddWithValue("id", request.ChangeId);
        insert.Parameters.AddWithValue("local", request.LocalId);
        insert.Parameters.AddWithValue("environment", request.Environment);
        insert.Parameters.AddWithValue("user", request.OsUser);
        insert.Parameters.AddWithValue("sha", request.ScriptSha256);
        insert.Parameters.AddWithValue("undo", (object?)request.UndoOf ?? DBNull.Value);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return role;
    }

    /// <param name="tables">schema-qualified tables the preview showed as affected; tables that do not exist yet (the
    /// script creates them) are not captured.</param>
    /// <remarks>The schema must be at this Backstop's version already (<see cref="CaptureSchema.EnsureAsync"/>, before the transaction).</remarks>
    /// <exception cref="CapturePrivilegeException">the role may not create a trigger.</exception>
    /// <exception cref="CaptureSchemaTooNewException">a newer Backstop migrated the schema since.</exception>
    public static async Task<ChangeCapture> BeginAsync(NpgsqlConnection connection, CaptureRequest request, IEnumerable<(string Schema, string Name)> tables, CancellationToken cancellationToken)
    {
        var role = await LogAsync(connection, request, cancellationToken);

        var captured = new List<CapturedTable>();
        var created = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (schema, name) in tables.Distinct())
        {
            if (await DescribeAsync(connection, schema, name, request.ChangeId, cancellationToken) is { } table)
            {
                captured.Add(table);
            }
            else
            {
                created.Add($"{schema}.{name}");
            }
        }

        await LockAllAsync(connection, captured, cancellationToken);
        foreach (var table in captured)
        {
            await AttachAsync(connection, request.ChangeId, table, role, cancellationToken);
        }

        return new ChangeCapture(connection, captured, role, created);
    }

    /// <summary>
    /// Takes the lock that creating the capture triggers needs (SHARE ROW EXCLUSIVE) on every table at once, without
    /// waiting while holding any of them: NOWAIT under a savepoint, again after a short pause while one is taken, until
    /// the session's lock_timeout (60 s when it has none). Taken one by one and waiting, a change that writes several
    /// tables would hold the first while it waited for the second, and an application transaction writing them in the
    /// other order would wait for it in turn: a deadlock, in which PostgreSQL cancels one of the two. Once all are held,
    /// no application transaction can start writing any of them until the change ends, so the DROP TRIGGER at its end
    /// cannot deadlock either.
    /// </summary>
    private static async Task LockAllAsync(NpgsqlConnection connection, IReadOnlyList<CapturedTable> tables, CancellationToken cancellationToken)
    {
        if (tables.Count == 0)
        {
            return;
        }

        var list = string.Join(", ", tables.Select(t => PgIdentifier.Quote(t.Schema, t.Name)));
        TimeSpan? limit = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            // One round trip when the locks are free, as they are unless an application is writing these tables.
            await using var attempt = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SAVEPOINT backstop_capture_locks"),
                    new NpgsqlBatchCommand($"LOCK TABLE {list} IN SHARE ROW EXCLUSIVE MODE NOWAIT"),
                    new NpgsqlBatchCommand("RELEASE SAVEPOINT backstop_capture_locks"),
                },
            };
            try
            {
                await attempt.ExecuteNonQueryAsync(cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // LOCK TABLE in this mode wants UPDATE, DELETE or TRUNCATE on each table, which a role that may create
                // triggers need not have: each CREATE TRIGGER then takes its table's lock in turn, as before.
                await using var back = new NpgsqlCommand("ROLLBACK TO SAVEPOINT backstop_capture_locks", connection);
                await back.ExecuteNonQueryAsync(cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                await using (var back = new NpgsqlCommand("ROLLBACK TO SAVEPOINT backstop_capture_locks", connection))
                {
                    await back.ExecuteNonQueryAsync(cancellationToken);
                }

                limit ??= await LockTimeoutAsync(connection, cancellationToken);
                if (clock.Elapsed + pause >= limit)
                {
                    throw;
                }

                if (!await OutwaitAutovacuumAsync(connection, tables, limit.Value - clock.Elapsed, cancellationToken))
                {
                    await Task.Delay(pause, cancellationToken);
                    pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 200));
                }
            }
        }
    }

    /// <summary>The session's lock_timeout, or 60 s when it has none.</summary>
    private static async Task<TimeSpan> LockTimeoutAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var show = new NpgsqlCommand("SELECT setting::bigint FROM pg_settings WHERE name = 'lock_timeout'", connection);
        var milliseconds = (long)(await show.ExecuteScalarAsync(cancellationToken))!;
        return milliseconds > 0 ? TimeSpan.FromMilliseconds(milliseconds) : TimeSpan.FromSeconds(60);
    }

    /// <summary>
    /// An autovacuum worker on one of the tables gives way to a session that waits for a lock it holds, but only once that
    /// session has waited deadlock_timeout and its deadlock check runs (https://www.postgresql.org/docs/15/routine-vacuuming.html#AUTOVACUUM:
    /// "the autovacuum process will be canceled"); NOWAIT never waits, so on its own it would spin until lock_timeout
    /// behind a vacuum of a large table. So when one holds a lock on a table to capture, this waits for that table alone,
    /// holding nothing else, a little longer than deadlock_timeout, then lets go of it for the next attempt at all of them.
    /// </summary>
    /// <returns>whether an autovacuum worker was found and waited for.</returns>
    private static async Task<bool> OutwaitAutovacuumAsync(NpgsqlConnection connection, IReadOnlyList<CapturedTable> tables, TimeSpan left, CancellationToken cancellationToken)
    {
        uint relation;
        long deadlockTimeout;
        await using (var find = new NpgsqlCommand(
            """
            SELECT l.relation, (SELECT setting::bigint FROM pg_settings WHERE name = 'deadlock_timeout')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.backend_type = 'autovacuum worker' AND l.granted AND l.relation = ANY(@relations)
            LIMIT 1
            """, connection))
        {
            find.Parameters.Add(new NpgsqlParameter("relations", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = tables.Select(t => t.RelationId).ToArray() });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            (relation, deadlockTimeout) = (reader.GetFieldValue<uint>(0), reader.GetInt64(1));
        }

        var wait = (long)Math.Min(left.TotalMilliseconds, deadlockTimeout + 500);
        var table = tables.First(t => t.RelationId == relation);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SAVEPOINT backstop_capture_vacuum"),
                new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {Math.Max(1, wait).ToString(System.Globalization.CultureInfo.InvariantCulture)}"),
                new NpgsqlBatchCommand($"LOCK TABLE {PgIdentifier.Quote(table.Schema, table.Name)} IN SHARE ROW EXCLUSIVE MODE"),
            },
        };
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            // Still held (an anti-wraparound vacuum does not give way, nor does an application's transaction): the
            // caller tries again until its own lock_timeout.
        }

        await using var release = new NpgsqlCommand("ROLLBACK TO SAVEPOINT backstop_capture_vacuum", connection);
        await release.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Copies the rows a TRUNCATE is about to remove into the images, as deletes. The table is locked first (TRUNCATE
    /// would take the same lock a moment later), so no write slips in between the copy and the TRUNCATE.
    /// </summary>
    public async Task CaptureTruncateAsync(Guid changeId, IReadOnlyDictionary<uint, Preview.TableSize> tables, CancellationToken cancellationToken)
    {
        foreach (var (relationId, size) in tables)
        {
            var table = _tables.FirstOrDefault(t => t.RelationId == relationId);
            if (table is null)
            {
                table = await DescribeAsync(_connection, size.Schema, size.Name, changeId, cancellationToken)
                    ?? throw new InvalidOperationException($"{size.Schema}.{size.Name} disappeared while the change ran");
                await AttachAsync(_connection, changeId, table, _role, cancellationToken);
                _tables.Add(table);
            }

            var target = PgIdentifier.Quote(table.Schema, table.Name);
            var image = PgIdentifier.Quote(CaptureSchema.Name, table.ImageTable);
            string columns;
            await using (var list = new NpgsqlCommand("SELECT backstop.image_columns(@image, @relid)", _connection))
            {
                list.Parameters.AddWithValue("image", table.ImageTable);
                list.Parameters.Add(new NpgsqlParameter("relid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = table.RelationId });
                columns = (string)(await list.ExecuteScalarAsync(cancellationToken))!;
            }

            // TRUNCATE … RESTART IDENTITY sets the table's own sequences back: keep where they stood, so undo can put them forward again.
            await using (var sequences = new NpgsqlCommand(
                """
                INSERT INTO backstop.change_sequences (change_id, sequence_name, last_value)
                SELECT @change, name, last_value FROM (
                    -- Materialized, so that pg_sequence_last_value never sees a relation that is not a sequence.
                    WITH owned AS MATERIALIZED (
                        SELECT s.oid, format('%I.%I', n.nspname, s.relname) AS name
                        FROM pg_depend d
                        JOIN pg_class s ON s.oid = d.objid
                        JOIN pg_namespace n ON n.oid = s.relnamespace
                        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = @relid
                          AND d.deptype IN ('a', 'i') AND s.relkind = 'S')
                    SELECT name, pg_sequence_last_value(oid) AS last_value FROM owned) AS sequences
                WHERE last_value IS NOT NULL
                ON CONFLICT DO NOTHING
                """, _connection))
            {
                sequences.Parameters.AddWithValue("change", changeId);
                sequences.Parameters.Add(new NpgsqlParameter("relid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = table.RelationId });
                await sequences.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var lockTable = new NpgsqlCommand($"LOCK TABLE {target} IN ACCESS EXCLUSIVE MODE; SELECT EXISTS (SELECT FROM {target})", _connection))
            {
                if (await lockTable.ExecuteScalarAsync(cancellationToken) is not true)
                {
                    continue;
                }
            }

            string[] marks;
            await using (var mark = new NpgsqlCommand("SELECT backstop.image_marks(@image, 'D', 2 * nextval('backstop.capture_seq'), false)", _connection))
            {
                mark.Parameters.AddWithValue("image", table.ImageTable);
                marks = (string[])(await mark.ExecuteScalarAsync(cancellationToken))!;
            }

            // The column list is PostgreSQL's own quoting of the table's column names (quote_ident), and the marks its own
            // quoting of the event and number.
            await using var copy = new NpgsqlCommand(
                $"WITH copied AS (INSERT INTO {image} ({columns}{marks[0]}) SELECT {columns}{marks[1]} FROM {target} RETURNING 1) " +
                "UPDATE backstop.change_tables SET deleted = deleted + (SELECT count(*) FROM copied), firings = firings + 1 WHERE image_table = @image",
                _connection);
            copy.Parameters.AddWithValue("image", table.ImageTable);
            await copy.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Before an ALTER TABLE … DROP COLUMN: see <see cref="DroppedColumnCapture"/>.</summary>
    public Task CaptureDroppedColumnsAsync(Guid changeId, Sql.Classification.RelationName target, IReadOnlyList<string> columns, CancellationToken cancellationToken) =>
        DroppedColumnCapture.CaptureAsync(_connection, changeId, target, columns, cancellationToken);

    /// <summary>Drops the triggers and returns what each table captured.</summary>
    public async Task<IReadOnlyList<CapturedTable>> EndAsync(Guid changeId, CancellationToken cancellationToken)
    {
        // Found by oid: a DROP TABLE in the change may have moved a table into the recycle bin meanwhile.
        var located = new List<(string Schema, string Name, bool HasPrimaryKey)>();
        if (_tables.Count > 0)
        {
            await using var locate = new NpgsqlCommand("SELECT n.nspname, c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(@relids)", _connection);
            locate.Parameters.Add(new NpgsqlParameter("relids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = _tables.Select(t => t.RelationId).ToArray() });
            await using var reader = await locate.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var relid = reader.GetFieldValue<uint>(2);
                located.Add((reader.GetString(0), reader.GetString(1), _tables.First(t => t.RelationId == relid).HasPrimaryKey));
            }
        }

        // The DROP TRIGGERs and the counts in one round trip.
        await using var batch = new NpgsqlBatch(_connection);
        foreach (var (schema, name, hasPrimaryKey) in located)
        {
            var quoted = PgIdentifier.Quote(schema, name);
            foreach (var e in Events)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"DROP TRIGGER {TriggerName(e)} ON {quoted}"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"DROP TRIGGER {StepTriggerName(e)} ON {quoted}"));
            }

            if (hasPrimaryKey)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"DROP TRIGGER {KeysTriggerName} ON {quoted}"));
            }
        }

        var read = new NpgsqlBatchCommand("SELECT relid, inserted, updated, deleted FROM backstop.change_tables WHERE change_id = $1");
        read.Parameters.Add(new NpgsqlParameter { Value = changeId });
        batch.BatchCommands.Add(read);
        var counts = new Dictionary<uint, (long, long, long)>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[reader.GetFieldValue<uint>(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            }
        }

        return _tables.Select(t =>
        {
            var (inserted, updated, deleted) = counts.GetValueOrDefault(t.RelationId);
            return t with { Inserted = inserted, Updated = updated, Deleted = deleted };
        }).ToList();
    }

    internal static string ImageTableName(Guid changeId, uint relationId) => $"img_{changeId:N}_{relationId}";

    private static string TriggerName(string @event) => "backstop_capture_" + @event.ToLowerInvariant();

    private static string StepTriggerName(string @event) => "backstop_step_" + @event.ToLowerInvariant();

    /// <summary>
    /// When an UPDATE sets a key column, its WHEN condition raises the flag that <c>backstop_capture_update</c> reads:
    /// the conditions of a statement's AFTER triggers are evaluated when they are queued, before any of them runs.
    /// </summary>
    private const string KeysTriggerName = "backstop_capture_keys";

    private static async Task<CapturedTable?> DescribeAsync(NpgsqlConnection connection, string schema, string name, Guid changeId, CancellationToken cancellationToken)
    {
        // The key is the primary key; a table without one is matched on all its columns.
        await using var command = new NpgsqlCommand(
            """
            SELECT c.oid,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
                   coalesce((SELECT array_agg(a.attname ORDER BY k.ordinality)
                             FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY k(attnum, ordinality)
                             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                             WHERE i.indrelid = c.oid AND i.indisprimary),
                            (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
                   , c.relkind = 'p',
                   -- A BEFORE UPDATE row trigger (tgtype bits: row 1, before 2, update 16) can move a row to another key
                   -- without the key being in the UPDATE's SET list.
                   EXISTS (SELECT 1 FROM pg_trigger tg WHERE (tg.tgrelid = c.oid OR tg.tgrelid IN (SELECT relid FROM pg_partition_tree(c.oid)))
                           AND NOT tg.tgisinternal AND tg.tgtype & 19 = 19)
            FROM pg_class c WHERE c.oid = to_regclass(@name) AND c.relkind IN ('r', 'p')
            """, connection);
        command.Parameters.AddWithValue("name", PgIdentifier.Quote(schema, name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var relationId = reader.GetFieldValue<uint>(0);
        return new CapturedTable(relationId, schema, name, ImageTableName(changeId, relationId), reader.GetFieldValue<string[]>(2))
        {
            HasPrimaryKey = reader.GetBoolean(1),
            IsPartitioned = reader.GetBoolean(3),
            RowTriggersMayMoveKeys = reader.GetBoolean(4),
        };
    }

    private static async Task AttachAsync(NpgsqlConnection connection, Guid changeId, CapturedTable table, string role, CancellationToken cancellationToken)
    {
        var target = PgIdentifier.Quote(table.Schema, table.Name);
        var image = PgIdentifier.Quote(CaptureSchema.Name, table.ImageTable);
        // 'key': an UPDATE keeps only old rows unless it sets a key column; 'whole': every UPDATE keeps old and new rows
        // (rows matched by value, or a row trigger that may move keys).
        var mode = table.HasPrimaryKey && !table.RowTriggersMayMoveKeys ? "'key'" : "'whole'";
        var arguments = $"{PgLiteral.Quote(table.ImageTable)}, {mode}";
        var relid = table.RelationId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The triggers come first: CREATE TRIGGER takes SHARE ROW EXCLUSIVE on the table, and the image table's
        // CREATE TABLE … AS SELECT an ACCESS SHARE lock. Taken the other way round, a second change on the same table
        // would hold ACCESS SHARE while it waits for the first one's triggers, and the first one's DROP TRIGGER (ACCESS
        // EXCLUSIVE, before its commit) would wait for it: a deadlock. This way the second change waits holding nothing.
        // All of it in one round trip.
        await using var attach = new NpgsqlBatch(connection);
        foreach (var e in Events)
        {
            var referencing = e switch
            {
                "INSERT" => "REFERENCING NEW TABLE AS backstop_new",
                "UPDATE" => "REFERENCING OLD TABLE AS backstop_old NEW TABLE AS backstop_new",
                _ => "REFERENCING OLD TABLE AS backstop_old",
            };

            // The WHEN conditions do the work and return false, so that the trigger functions never run: PL/pgSQL would
            // compile a copy of them for every trigger and keep it for the session (migration 0005).
            attach.BatchCommands.Add(new NpgsqlBatchCommand(
                $"CREATE TRIGGER {StepTriggerName(e)} BEFORE {e} ON {target} FOR EACH STATEMENT WHEN (backstop.push_step({relid}::oid, '{e}')) EXECUTE FUNCTION backstop.capture_step()"));
            attach.BatchCommands.Add(new NpgsqlBatchCommand(
                $"CREATE TRIGGER {TriggerName(e)} AFTER {e} ON {target} {referencing} FOR EACH STATEMENT EXECUTE FUNCTION backstop.capture_rows({arguments})"));
        }

        if (table.HasPrimaryKey)
        {
            // An UPDATE that sets a key column may move rows to other keys: its new rows are kept too (see capture_rows).
            var keys = string.Join(", ", table.KeyColumns.Select(PgIdentifier.Quote));
            attach.BatchCommands.Add(new NpgsqlBatchCommand(
                $"CREATE TRIGGER {KeysTriggerName} AFTER UPDATE OF {keys} ON {target} FOR EACH STATEMENT WHEN (backstop.flag_keys_moved({relid}::oid)) EXECUTE FUNCTION backstop.keys_moved()"));
        }

        var triggers = attach.BatchCommands.Count;

        // AS … WITH NO DATA: the table's columns and types, none of its constraints, so columns can come and go. The
        // columns backstop_op and backstop_seq come with a second captured statement (backstop.image_marks).
        attach.BatchCommands.Add(new NpgsqlBatchCommand($"CREATE TABLE {image} AS SELECT * FROM {target} WITH NO DATA"));
        attach.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO backstop.change_tables (change_id, relid, schema_name, table_name, image_table, key_columns) VALUES ($1, $2, $3, $4, $5, $6)")
        {
            Parameters =
            {
                new NpgsqlParameter { Value = changeId },
                new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid, Value = table.RelationId },
                new NpgsqlParameter { Value = table.Schema },
                new NpgsqlParameter { Value = table.Name },
                new NpgsqlParameter { Value = table.ImageTable },
                new NpgsqlParameter { Value = table.KeyColumns.ToArray() },
            },
        });
        try
        {
            await attach.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && e.BatchCommand is { } failed && attach.BatchCommands.IndexOf(failed) < triggers)
        {
            throw CapturePrivilegeException.ForTable(role, target, e);
        }
    }

    private static async Task<(string Role, string Database)> WhoAmIAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT current_user::text, current_database()::text", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetString(0), reader.GetString(1));
    }
}
