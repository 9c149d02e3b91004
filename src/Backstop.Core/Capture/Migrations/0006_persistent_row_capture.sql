-- Version 6: persistent row capture, so that a statement guarded one at a time (a person's session through the proxy)
-- runs once instead of twice, with no DDL of its own before its transaction commits.
--
-- Capture for a change (version 4) sets up triggers on the tables the measurement saw written, and so needs a first
-- run to learn them, and DDL around the second: about 25 ms for a single-row UPDATE through the proxy
-- (docs/benchmarks.md). Here a table gets, once, a row trigger of its own that stays: its WHEN condition is false in
-- every session except while a guard has opened the gate (backstop.guard_change, a transaction-local setting) for
-- one statement, so an application's writes pay one comparison per row and queue nothing. While the gate is open the
-- trigger keeps each row's old and new version as text (the row type's own output, which its input reads back
-- exactly) in backstop.guard_rows, in the statement's own subtransaction. The guard judges the statement on what was
-- staged, and keeps it by recording the change (backstop.changes, and change_tables rows marked staged) in the same
-- transaction; nothing else. guard_materialize then turns a kept change's staged rows into image tables as version 4
-- makes them, with each row's xmin in backstop_row_xmin (undo's proof that a row is unchanged since): right after
-- the commit, from the proxy, or when undo or retention needs them. backstop.guard_limit bounds the rows staged per
-- statement: beyond it the guard measures and keeps the statement the version-4 way.
-- Like every migration here, it can run again over itself.

CREATE TABLE IF NOT EXISTS backstop.guard_rows (
    change_id uuid NOT NULL,
    relid oid NOT NULL,
    op "char" NOT NULL,
    old_row text,
    new_row text
);
CREATE INDEX IF NOT EXISTS guard_rows_change ON backstop.guard_rows (change_id, relid);

-- A change_tables row whose image is still rows of backstop.guard_rows (guard_materialize makes the table).
ALTER TABLE backstop.change_tables ADD COLUMN IF NOT EXISTS staged boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS change_tables_staged ON backstop.change_tables (change_id) WHERE staged;

-- Counts the rows the gate let through, against backstop.guard_limit.
CREATE SEQUENCE IF NOT EXISTS backstop.guard_seq;

CREATE OR REPLACE FUNCTION backstop.guard_row() RETURNS trigger LANGUAGE plpgsql AS $row$
BEGIN
    INSERT INTO backstop.guard_rows (change_id, relid, op, old_row, new_row) VALUES (
        current_setting('backstop.guard_change')::uuid, TG_RELID, left(TG_OP, 1)::"char",
        CASE WHEN TG_OP <> 'INSERT' THEN OLD::text END,
        CASE WHEN TG_OP <> 'DELETE' THEN NEW::text END);
    RETURN NULL;
END
$row$;

-- What this transaction wrote to the change log and its tables, which a kept statement writes itself (guard_keep):
-- guard_end compares it around the statement, the write locks telling nothing there.
CREATE OR REPLACE FUNCTION backstop.guard_log_writes() RETURNS text LANGUAGE sql AS $log$
    SELECT concat_ws(',',
        pg_stat_get_xact_tuples_inserted('backstop.changes'::regclass) + pg_stat_get_xact_tuples_updated('backstop.changes'::regclass)
            + pg_stat_get_xact_tuples_deleted('backstop.changes'::regclass),
        pg_stat_get_xact_tuples_inserted('backstop.change_tables'::regclass) + pg_stat_get_xact_tuples_updated('backstop.change_tables'::regclass)
            + pg_stat_get_xact_tuples_deleted('backstop.change_tables'::regclass))
$log$;

-- The transaction's writes to the catalogs a destructive statement writes (what CatalogWatch.CountersSql reads).
CREATE OR REPLACE FUNCTION backstop.guard_catalog() RETURNS text LANGUAGE sql AS $catalog$
    SELECT concat_ws(',',
        pg_stat_get_xact_tuples_updated('pg_catalog.pg_class'::regclass) + pg_stat_get_xact_tuples_deleted('pg_catalog.pg_class'::regclass),
        pg_stat_get_xact_tuples_updated('pg_catalog.pg_attribute'::regclass) + pg_stat_get_xact_tuples_deleted('pg_catalog.pg_attribute'::regclass),
        pg_stat_get_xact_tuples_deleted('pg_catalog.pg_largeobject_metadata'::regclass))
$catalog$;

-- Opens the gate for one statement that writes target, an ordinary table that has the trigger. It holds off migrations
-- until the transaction ends (CaptureSchema.HoldAsync: the lock, then the version, each query of a volatile function
-- taking its own snapshot under READ COMMITTED), notes what guard_end compares, and sets standard_conforming_strings
-- and client_encoding for the statement as the guard's connection reads it (SessionSettings). Returns the schema's
-- version and the client's standard_conforming_strings, to set back once the statement is kept. Raises SQLSTATE
-- BK001, and opens nothing, when the target has no persistent capture or triggers do not fire in this session
-- (session_replication_role): the guard then goes the version-4 way.
-- The guard's queries live in PL/pgSQL functions so that their plans are made once per session: planning catalog
-- queries anew for every statement cost more than running them.
CREATE OR REPLACE FUNCTION backstop.guard_begin(change uuid, target text, row_limit bigint, OUT backstop_version integer, OUT client_strings text)
    LANGUAGE plpgsql AS $begin$
DECLARE
    rel oid;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('backstop capture schema'));
    SELECT coalesce(max(v.version), 0) INTO backstop_version FROM backstop.schema_version v;
    rel := to_regclass(target);
    IF rel IS NULL OR current_setting('session_replication_role') <> 'origin'
       OR NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = rel AND c.relkind = 'r' AND NOT c.relispartition)
       OR NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = rel AND t.tgname = 'backstop_guard_row' AND t.tgenabled = 'O') THEN
        RAISE EXCEPTION 'backstop: % has no persistent capture', target USING ERRCODE = 'BK001';
    END IF;
    client_strings := current_setting('standard_conforming_strings');
    PERFORM set_config('backstop.guard_log', backstop.guard_log_writes(), true);
    PERFORM set_config('backstop.guard_catalog', backstop.guard_catalog(), true);
    PERFORM set_config('backstop.guard_change', change::text, true);
    PERFORM set_config('backstop.guard_limit', (nextval('backstop.guard_seq') + row_limit)::text, true);
    PERFORM set_config('standard_conforming_strings', 'on', true);
    PERFORM set_config('client_encoding', 'UTF8', true);
END
$begin$;

-- Closes the gate, and names what the staging may not account for: every table this transaction holds a write lock
-- on that has no enabled trigger (written by the statement, a cascade, a trigger, or earlier in the transaction;
-- Backstop's own tables among them, but the staging and the change log, whose writes are compared instead),
-- '*catalog' when the statement wrote the catalog (DDL, a TRUNCATE or a drop inside a function), and '*rows' when
-- more rows came than the limit let through. Empty: every row the statement wrote, anywhere, is staged.
CREATE OR REPLACE FUNCTION backstop.guard_end() RETURNS text[] LANGUAGE plpgsql AS $end$
DECLARE
    overflow boolean := currval('backstop.guard_seq') > current_setting('backstop.guard_limit')::bigint;
    unstaged text[];
BEGIN
    PERFORM set_config('backstop.guard_change', '', true);
    unstaged := ARRAY(
        SELECT l.relation::regclass::text FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.mode = 'RowExclusiveLock' AND c.relkind IN ('r', 'p', 'f', 'v')
          AND c.oid NOT IN ('backstop.guard_rows'::regclass, 'backstop.changes'::regclass, 'backstop.change_tables'::regclass)
          AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'backstop_guard_row' AND t.tgenabled = 'O')
        ORDER BY 1);
    IF backstop.guard_log_writes() <> current_setting('backstop.guard_log') THEN
        unstaged := unstaged || 'backstop.changes'::text;
    END IF;
    IF backstop.guard_catalog() <> current_setting('backstop.guard_catalog') THEN
        unstaged := unstaged || '*catalog'::text;
    END IF;
    IF overflow THEN
        unstaged := unstaged || '*rows'::text;
    END IF;
    RETURN unstaged;
END
$end$;

-- Whether an UPDATE the gate let through moved a row to another key (undo then needs the version-4 images).
CREATE OR REPLACE FUNCTION backstop.guard_keys_moved(change uuid, rel oid, keys name[]) RETURNS boolean LANGUAGE plpgsql AS $moved$
DECLARE
    row_type text := rel::regclass::text;
    old_keys text := (SELECT string_agg(format('(g.old_row::%s).%I', row_type, k), ', ') FROM unnest(keys) AS k);
    new_keys text := (SELECT string_agg(format('(g.new_row::%s).%I', row_type, k), ', ') FROM unnest(keys) AS k);
    moved boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM backstop.guard_rows g WHERE g.change_id = $1 AND g.relid = $2 AND g.op = ''U'' AND ROW(%s) IS DISTINCT FROM ROW(%s))',
                   old_keys, new_keys)
        INTO moved USING change, rel;
    RETURN moved;
END
$moved$;

-- A table's rows counted exactly when it is at most max_bytes on disk; null when larger (the caller estimates).
CREATE OR REPLACE FUNCTION backstop.guard_table_rows(rel oid, max_bytes bigint) RETURNS bigint LANGUAGE plpgsql AS $rows$
DECLARE
    counted bigint;
BEGIN
    IF pg_relation_size(rel) > max_bytes THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM %s', rel::regclass) INTO counted;
    RETURN counted;
END
$rows$;

-- The key of a table: its primary key's columns, or every column of a table without one.
CREATE OR REPLACE FUNCTION backstop.guard_key(rel oid, OUT has_key boolean, OUT key_columns name[]) LANGUAGE plpgsql AS $key$
BEGIN
    SELECT array_agg(a.attname ORDER BY k.ordinality) INTO key_columns
    FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY k(attnum, ordinality)
    JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = k.attnum
    WHERE i.indrelid = rel AND i.indisprimary;
    has_key := key_columns IS NOT NULL;
    IF NOT has_key THEN
        SELECT array_agg(a.attname ORDER BY a.attnum) INTO key_columns FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
    END IF;
END
$key$;

-- What the gate let through for a change, per table and way (I, U, D), with what the guard needs to judge it and to
-- keep it: whether the table is an ordinary one, its key, whether a row trigger may move keys (tgtype bits: row 1,
-- before 2, update 16) or an UPDATE moved one, and its rows now (exact up to max_bytes, else the planner's estimate).
CREATE OR REPLACE FUNCTION backstop.guard_summary(change uuid, max_bytes bigint)
    RETURNS TABLE (backstop_guard_relid oid, schema_name text, table_name text, op text, captured bigint, plain boolean, has_key boolean,
                   key_columns text[], keys_may_move boolean, keys_moved boolean, exact_rows bigint, estimated_rows bigint)
    LANGUAGE plpgsql AS $summary$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT s.relid, n.nspname::text, c.relname::text, s.op::text, s.captured, c.relkind = 'r' AND NOT c.relispartition,
               k.has_key, k.key_columns::text[],
               EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal AND tg.tgtype & 19 = 19),
               s.op = 'U' AND k.has_key AND backstop.guard_keys_moved(change, s.relid, k.key_columns),
               backstop.guard_table_rows(s.relid, max_bytes),
               greatest(c.reltuples, -1)::bigint
        FROM (SELECT g.relid, g.op, count(*) AS captured FROM backstop.guard_rows g WHERE g.change_id = change GROUP BY g.relid, g.op) s
        JOIN pg_class c ON c.oid = s.relid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN LATERAL backstop.guard_key(s.relid) k;
END
$summary$;

-- Keeps what the gate let through as change `change`, in the statement's own subtransaction: its row in the change log
-- and a change_tables row per table, staged (the inserted rows of an INSERT, 'I'; the deleted rows of a DELETE, 'D';
-- the old rows of an UPDATE that kept every key, 'V'), and the client's standard_conforming_strings set back. The
-- guard calls it only when every table was staged whole, one way.
CREATE OR REPLACE FUNCTION backstop.guard_keep(change uuid, local bigint, environment_name text, user_name text, sha256 text, client_strings text)
    RETURNS void LANGUAGE plpgsql AS $keep$
BEGIN
    INSERT INTO backstop.changes (change_id, local_id, environment, os_user, script_sha256, undo_of, xact_id)
    VALUES (change, local, environment_name, user_name, sha256, NULL, pg_current_xact_id());
    INSERT INTO backstop.change_tables (change_id, relid, schema_name, table_name, image_table, key_columns, inserted, updated, deleted,
                                        firings, first_op, first_seq, marked, staged)
    SELECT change, s.relid, n.nspname, c.relname, format('img_%s_%s', replace(change::text, '-', ''), s.relid), k.key_columns,
           CASE WHEN s.op = 'I' THEN s.captured ELSE 0 END, CASE WHEN s.op = 'U' THEN s.captured ELSE 0 END, CASE WHEN s.op = 'D' THEN s.captured ELSE 0 END,
           1, CASE WHEN s.op = 'U' THEN 'V' ELSE s.op END, 2 * nextval('backstop.capture_seq') + (s.op = 'I')::int, false, true
    FROM (SELECT g.relid, g.op, count(*) AS captured FROM backstop.guard_rows g WHERE g.change_id = change GROUP BY g.relid, g.op) s
    JOIN pg_class c ON c.oid = s.relid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL backstop.guard_key(s.relid) k;
    PERFORM set_config('standard_conforming_strings', client_strings, true);
END
$keep$;

-- Turns the staged images of a committed change into image tables as version 4 makes them, each row's xmin (the
-- transaction that wrote it, which undo compares with the row's) in column backstop_row_xmin, and empties the staging
-- of that change. What another session is turning already it waits for, then finds it turned (READ COMMITTED rechecks
-- the locked row, no longer staged): a caller that needs the tables (undo) never goes on without them. Locks in relid
-- order, so that two callers never wait on each other. Returns the tables made.
CREATE OR REPLACE FUNCTION backstop.guard_materialize(change uuid) RETURNS integer LANGUAGE plpgsql AS $materialize$
DECLARE
    t record;
    made integer := 0;
BEGIN
    FOR t IN
        SELECT ct.relid, ct.image_table, ct.first_op, n.nspname, c.relname
        FROM backstop.change_tables ct JOIN pg_class c ON c.oid = ct.relid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE ct.change_id = change AND ct.staged
        ORDER BY ct.relid
        FOR UPDATE OF ct
    LOOP
        EXECUTE format('CREATE TABLE backstop.%I AS SELECT (s.r).*, s.x AS backstop_row_xmin FROM (SELECT g.%I::%I.%I AS r, g.xmin AS x FROM backstop.guard_rows g WHERE g.change_id = $1 AND g.relid = $2) AS s',
                       t.image_table, CASE WHEN t.first_op = 'I' THEN 'new_row' ELSE 'old_row' END, t.nspname, t.relname)
            USING change, t.relid;
        UPDATE backstop.change_tables SET staged = false WHERE change_id = change AND relid = t.relid;
        DELETE FROM backstop.guard_rows g WHERE g.change_id = change AND g.relid = t.relid;
        made := made + 1;
    END LOOP;
    RETURN made;
END
$materialize$;

-- guard_materialize for every committed change that has staged images.
CREATE OR REPLACE FUNCTION backstop.guard_materialize_all() RETURNS integer LANGUAGE plpgsql AS $all$
DECLARE
    change uuid;
    made integer := 0;
BEGIN
    FOR change IN SELECT DISTINCT ct.change_id FROM backstop.change_tables ct WHERE ct.staged ORDER BY 1 LOOP
        made := made + backstop.guard_materialize(change);
    END LOOP;
    RETURN made;
END
$all$;
