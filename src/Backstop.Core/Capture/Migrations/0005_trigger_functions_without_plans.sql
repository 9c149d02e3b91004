-- Version 5: capture's trigger functions no longer leave a session slower with every change it keeps.
--
-- PL/pgSQL compiles a trigger function separately for every trigger that calls it (the trigger's oid is part of the
-- key of its cache of compiled functions), and keeps each copy, with a cached plan for every expression the copy ran,
-- for the rest of the session. Capture creates its triggers anew for every change, so a session that kept N changes
-- held N copies of each trigger function, and PostgreSQL goes through every cached plan of the session on every
-- invalidation (each CREATE or DROP of a trigger or table sends some): a guarded statement through the proxy, where a
-- person's session lasts, went from 25 ms to 290 ms over 1,100 changes (docs/benchmarks.md).
--
-- So the trigger functions now hold as few plans as they can:
-- * the statement's number (capture_step) and the flag of an UPDATE that set a key column (keys_moved) are taken in
--   the triggers' WHEN conditions, which the executor evaluates without PL/pgSQL and which return false, so that the
--   trigger functions themselves never run;
-- * capture_rows, which must run where the transition tables are, is a loop of two expressions that runs what
--   capture_next, an ordinary function (compiled once per session), hands it, as the former capture_rows decided. The images are the same as version 4's, so changes kept before are undone as they were.

-- For the BEFORE STATEMENT triggers' WHEN: what capture_step did. Returns false.
CREATE OR REPLACE FUNCTION backstop.push_step(relid oid, op text) RETURNS boolean LANGUAGE plpgsql AS $push$
DECLARE
    stack text := format('backstop.step_%s_%s', relid, lower(op));
BEGIN
    PERFORM set_config(stack, coalesce(current_setting(stack, true), '') || nextval('backstop.capture_seq') || ',', true);
    RETURN false;
END
$push$;

-- For the AFTER UPDATE OF <key columns> trigger's WHEN, evaluated when the statement's AFTER triggers are queued,
-- before the capture trigger of the same statement runs: what keys_moved did. Returns false.
CREATE OR REPLACE FUNCTION backstop.flag_keys_moved(relid oid) RETURNS boolean LANGUAGE plpgsql AS $flag$
BEGIN
    PERFORM set_config(format('backstop.moved_%s', relid), 'yes', true);
    RETURN false;
END
$flag$;

-- The steps of capturing one statement's transition tables, one SQL text at a time: capture_rows runs each and
-- passes back how many rows it processed (done). Every step but the last processes at least one row, and the last
-- none, which is how capture_rows knows to stop. The first call (done null) starts over. What version 4's capture_rows did, in the same order:
--   1. whether the statement wrote any rows at all (statements that wrote none leave no trace);
--   2. the rows into the image (a table's first captured statement fills its still empty image in bulk);
--   3. for an UPDATE that may have moved keys, its new rows too;
--   then the counts in change_tables.
CREATE OR REPLACE FUNCTION backstop.capture_next(relid oid, op text, image name, mode text, done bigint) RETURNS text LANGUAGE plpgsql AS $next$
DECLARE
    state text[] := CASE WHEN done IS NULL THEN NULL ELSE string_to_array(current_setting('backstop.capture_state'), ',') END;
    moved_flag text := format('backstop.moved_%s', relid);
    moved boolean;
    step bigint;
    source text := CASE op WHEN 'INSERT' THEN 'backstop_new' ELSE 'backstop_old' END;
    kind "char";
    columns text;
    marks text[];
    rows bigint;
BEGIN
    IF state IS NULL THEN
        moved := op = 'UPDATE' AND (mode IS DISTINCT FROM 'key' OR coalesce(current_setting(moved_flag, true), '') = 'yes');
        step := backstop.take_step(relid, op);
        IF moved THEN
            PERFORM set_config(moved_flag, '', true);
        END IF;
        PERFORM set_config('backstop.capture_state', concat_ws(',', 'rows?', step, moved), true);
        RETURN format('SELECT FROM %I LIMIT 1', source);
    END IF;

    step := state[2]::bigint;
    moved := state[3]::boolean;
    IF state[1] = 'rows?' THEN
        IF done = 0 THEN
            RETURN 'SELECT WHERE false';
        END IF;
        kind := CASE WHEN op = 'INSERT' THEN 'I' WHEN op = 'DELETE' THEN 'D' WHEN moved THEN 'U' ELSE 'V' END;
        columns := backstop.image_columns(image, relid);
        marks := backstop.image_marks(image, kind, 2 * step + (op = 'INSERT')::int, moved);
        PERFORM set_config('backstop.capture_state', concat_ws(',', 'copied', step, moved), true);
        IF marks[1] = '' AND NOT moved THEN
            -- CREATE TABLE AS writes through a small ring of buffers, where INSERT … SELECT would evict the statement's
            -- own pages from shared_buffers and write them out itself (docs/benchmarks.md, "where capture's time goes").
            -- Its count is the last statement's, the one capture_rows reads.
            RETURN format('DROP TABLE backstop.%I; CREATE TABLE backstop.%I AS SELECT %s FROM %I', image, image, columns, source);
        END IF;
        RETURN format('INSERT INTO backstop.%I (%s%s) SELECT %s%s FROM %I', image, columns, marks[1], columns, marks[2], source);
    END IF;

    IF state[1] = 'copied' THEN
        rows := done;
        IF moved THEN
            columns := backstop.image_columns(image, relid);
            marks := backstop.image_marks(image, 'u', 2 * step + 1, true);
            PERFORM set_config('backstop.capture_state', concat_ws(',', 'new rows', step, moved, rows), true);
            RETURN format('INSERT INTO backstop.%I (%s%s) SELECT %s%s FROM backstop_new', image, columns, marks[1], columns, marks[2]);
        END IF;
    ELSE
        rows := state[4]::bigint;
    END IF;

    UPDATE backstop.change_tables SET
        inserted = inserted + CASE WHEN op = 'INSERT' THEN rows ELSE 0 END,
        updated = updated + CASE WHEN op = 'UPDATE' THEN rows ELSE 0 END,
        deleted = deleted + CASE WHEN op = 'DELETE' THEN rows ELSE 0 END,
        firings = firings + 1
    WHERE image_table = image;
    RETURN 'SELECT WHERE false';
END
$next$;

-- TG_ARGV[0] is the image table's name in schema backstop; TG_ARGV[1] is 'key' for a table with a primary key and no
-- BEFORE UPDATE row trigger, else 'whole' (see version 4's comment on the events kept). Two expressions, so two plans
-- per compiled copy. The return value of a statement-level trigger is ignored (docs: "Overview of Trigger Behavior"),
-- and returning a variable takes no plan.
CREATE OR REPLACE FUNCTION backstop.capture_rows() RETURNS trigger LANGUAGE plpgsql AS $capture$
DECLARE
    done bigint;
    nothing text;
BEGIN
    LOOP
        EXECUTE backstop.capture_next(TG_RELID, TG_OP, TG_ARGV[0], TG_ARGV[1], done);
        GET DIAGNOSTICS done = ROW_COUNT;
        EXIT WHEN done = 0;
    END LOOP;
    RETURN nothing;
END
$capture$;
