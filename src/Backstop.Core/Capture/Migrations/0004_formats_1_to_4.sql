-- Formats 1 to 4: the schema as the releases before numbered migrations built it, each one running all of this
-- (every statement tolerates what is already there) and naming its format in the schema's comment. On a schema of
-- any of those formats it adds what is missing; on a new database it builds the whole schema.
-- Format 4: a table's first captured statement fills its image with CREATE TABLE AS (capture_rows).

CREATE SCHEMA IF NOT EXISTS backstop;

CREATE TABLE IF NOT EXISTS backstop.changes (
    change_id uuid PRIMARY KEY,
    local_id bigint,
    environment text NOT NULL,
    os_user text NOT NULL,
    script_sha256 text NOT NULL,
    undo_of uuid,
    committed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS backstop.change_tables (
    change_id uuid NOT NULL REFERENCES backstop.changes ON DELETE CASCADE,
    relid oid NOT NULL,
    schema_name name NOT NULL,
    table_name name NOT NULL,
    image_table name NOT NULL UNIQUE,
    key_columns name[] NOT NULL,
    inserted bigint NOT NULL DEFAULT 0,
    updated bigint NOT NULL DEFAULT 0,
    deleted bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (change_id, relid)
);

-- The recycle bin: what a change dropped, each item kept in a schema of its own (backstop_trash_<id>).
CREATE TABLE IF NOT EXISTS backstop.trash (
    trash_id text PRIMARY KEY,
    change_id uuid NOT NULL REFERENCES backstop.changes,
    original_schema name NOT NULL,
    original_name name NOT NULL,
    trash_name name NOT NULL UNIQUE,
    row_estimate bigint NOT NULL,
    foreign_keys jsonb NOT NULL DEFAULT '[]',
    dropped_at timestamptz NOT NULL DEFAULT now()
);
-- trash_name is the item's schema: for 'table' it holds the table under its own name; for 'schema' it is the
-- dropped schema itself, renamed.
ALTER TABLE backstop.trash ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'table';

-- Columns a change dropped: their definition, and their values by key in an image table of their own.
CREATE TABLE IF NOT EXISTS backstop.dropped_columns (
    change_id uuid NOT NULL REFERENCES backstop.changes ON DELETE CASCADE,
    relid oid NOT NULL,
    column_name name NOT NULL,
    column_type text NOT NULL,
    not_null boolean NOT NULL,
    default_expression text,
    image_table name NOT NULL UNIQUE,
    key_columns name[] NOT NULL,
    PRIMARY KEY (change_id, relid, column_name)
);

-- Where sequences owned by a truncated table stood before it (TRUNCATE … RESTART IDENTITY sets them back).
CREATE TABLE IF NOT EXISTS backstop.change_sequences (
    change_id uuid NOT NULL REFERENCES backstop.changes ON DELETE CASCADE,
    sequence_name text NOT NULL,
    last_value bigint NOT NULL,
    PRIMARY KEY (change_id, sequence_name)
);

-- One number per statement orders a key's images: old rows get 2n, new rows 2n + 1. The number is taken when
-- the statement starts (BEFORE STATEMENT), not when its AFTER trigger fires: statements nested inside it (a row
-- trigger, a cascade) finish first but started later. A stack per table and event, in a transaction-local
-- setting, hands each AFTER trigger its own statement's number.
CREATE SEQUENCE IF NOT EXISTS backstop.capture_seq;

CREATE OR REPLACE FUNCTION backstop.capture_step() RETURNS trigger LANGUAGE plpgsql AS $step$
DECLARE
    stack text := format('backstop.step_%s_%s', TG_RELID, lower(TG_OP));
BEGIN
    PERFORM set_config(stack, coalesce(current_setting(stack, true), '') || nextval('backstop.capture_seq') || ',', true);
    RETURN NULL;
END
$step$;

CREATE OR REPLACE FUNCTION backstop.take_step(relid oid, op text) RETURNS bigint LANGUAGE plpgsql AS $take$
DECLARE
    stack text := format('backstop.step_%s_%s', relid, lower(op));
    steps text[] := string_to_array(rtrim(coalesce(current_setting(stack, true), ''), ','), ',');
    n int := coalesce(array_length(steps, 1), 0);
BEGIN
    IF n = 0 THEN
        RETURN nextval('backstop.capture_seq');
    END IF;
    PERFORM set_config(stack, coalesce(array_to_string(steps[1:n - 1], ',') || ',', ''), true);
    RETURN steps[n]::bigint;
END
$take$;

-- Adds to an image table the columns its source table has gained (ALTER TABLE … ADD COLUMN during the change)
-- and returns the source's columns as a list for INSERT … SELECT, so that images go by name, not position.
CREATE OR REPLACE FUNCTION backstop.image_columns(image name, source oid) RETURNS text LANGUAGE plpgsql AS $columns$
DECLARE
    image_id oid := to_regclass(format('backstop.%I', image));
    added record;
    columns text;
BEGIN
    FOR added IN
        SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped
          AND NOT EXISTS (SELECT 1 FROM pg_attribute i WHERE i.attrelid = image_id AND i.attname = a.attname AND NOT i.attisdropped)
    LOOP
        EXECUTE format('ALTER TABLE backstop.%I ADD COLUMN %I %s', image, added.attname, added.type);
    END LOOP;
    -- A column the change retyped (ALTER COLUMN … TYPE) takes its new type in the images too.
    FOR added IN
        SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        JOIN pg_attribute i ON i.attrelid = image_id AND i.attname = a.attname AND NOT i.attisdropped
        WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped AND (i.atttypid, i.atttypmod) <> (a.atttypid, a.atttypmod)
    LOOP
        EXECUTE format('ALTER TABLE backstop.%I ALTER COLUMN %I TYPE %s USING %I::text::%s', image, added.attname, added.type, added.attname, added.type);
    END LOOP;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO columns FROM pg_attribute a
    WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped;
    RETURN columns;
END
$columns$;

-- Raised by the AFTER UPDATE OF <key columns> trigger, which fires just before the capture trigger of the same
-- statement (triggers fire in name order): that UPDATE may have moved rows to other keys.
CREATE OR REPLACE FUNCTION backstop.keys_moved() RETURNS trigger LANGUAGE plpgsql AS $moved$
BEGIN
    PERFORM set_config(format('backstop.moved_%s', TG_RELID), 'yes', true);
    RETURN NULL;
END
$moved$;

-- Where each image row's event and statement number go. A table's first captured statement writes its rows
-- bare, and change_tables keeps its event and number (first_op, first_seq): most changes write a table in one
-- statement, and two more columns in every image row cost about a tenth of the UPDATE they capture. From the
-- second statement on (or when one statement keeps two kinds of rows, 'U' and 'u'), the image table gets the
-- columns backstop_op and backstop_seq, added with the first statement's values as defaults, which PostgreSQL
-- keeps in the catalog for the rows already there instead of rewriting them. Returns what to append to the
-- INSERT's column list and to its select list.
CREATE OR REPLACE FUNCTION backstop.image_marks(image name, op "char", seq bigint, two_kinds boolean) RETURNS text[] LANGUAGE plpgsql AS $marks$
DECLARE
    t record;
BEGIN
    SELECT firings, first_op, first_seq, marked INTO t FROM backstop.change_tables WHERE image_table = image;
    IF NOT t.marked THEN
        IF t.firings = 0 AND NOT two_kinds THEN
            UPDATE backstop.change_tables SET first_op = op, first_seq = seq WHERE image_table = image;
            RETURN ARRAY['', ''];
        END IF;
        IF t.firings = 0 THEN
            EXECUTE format('ALTER TABLE backstop.%I ADD COLUMN backstop_op "char", ADD COLUMN backstop_seq bigint', image);
        ELSE
            EXECUTE format('ALTER TABLE backstop.%I ADD COLUMN backstop_op "char" DEFAULT %L, ADD COLUMN backstop_seq bigint DEFAULT %s',
                           image, t.first_op, t.first_seq);
            EXECUTE format('ALTER TABLE backstop.%I ALTER COLUMN backstop_op DROP DEFAULT, ALTER COLUMN backstop_seq DROP DEFAULT', image);
        END IF;
        UPDATE backstop.change_tables SET marked = true WHERE image_table = image;
    END IF;
    RETURN ARRAY[', backstop_op, backstop_seq', format(', %L::"char", %s', op, seq)];
END
$marks$;

-- Copies a statement's transition tables into the change's image table for that table. TG_ARGV[0] is the image
-- table's name in schema backstop; TG_ARGV[1] is 'key' for a table with a primary key and no BEFORE UPDATE row
-- trigger, else 'whole' (every UPDATE keeps its old and new rows). Events:
--   'I' new rows of an INSERT; 'D' old rows of a DELETE;
--   'V' old rows of an UPDATE that kept every row's key (a table with a primary key, the key not in its SET list):
--       the new rows are not copied, because undo finds each by its key and knows it unchanged since by its
--       xmin, which is the xmin of the image row written here (same statement, same subtransaction);
--   'U' and 'u' old and new rows of an UPDATE that may have moved keys, or of any UPDATE of a table without a
--       primary key (whose rows can only be matched by value).
-- Statements that wrote no rows leave no trace.
CREATE OR REPLACE FUNCTION backstop.capture_rows() RETURNS trigger LANGUAGE plpgsql AS $capture$
DECLARE
    image name := TG_ARGV[0];
    moved_flag text := format('backstop.moved_%s', TG_RELID);
    moved boolean := TG_OP = 'UPDATE' AND (TG_ARGV[1] IS DISTINCT FROM 'key' OR coalesce(current_setting(moved_flag, true), '') = 'yes');
    step bigint := backstop.take_step(TG_RELID, TG_OP);
    source text := CASE TG_OP WHEN 'INSERT' THEN 'backstop_new' ELSE 'backstop_old' END;
    op "char" := CASE WHEN TG_OP = 'INSERT' THEN 'I' WHEN TG_OP = 'DELETE' THEN 'D' WHEN moved THEN 'U' ELSE 'V' END;
    any_rows boolean;
    columns text;
    marks text[];
    rows bigint;
BEGIN
    IF moved THEN
        PERFORM set_config(moved_flag, '', true);
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT FROM %I)', source) INTO any_rows;
    IF NOT any_rows THEN
        RETURN NULL;
    END IF;

    columns := backstop.image_columns(image, TG_RELID);
    marks := backstop.image_marks(image, op, 2 * step + (TG_OP = 'INSERT')::int, moved);
    IF marks[1] = '' AND NOT moved THEN
        -- The table's first captured statement fills its still empty image in bulk: CREATE TABLE AS writes through
        -- a small ring of buffers, where INSERT … SELECT would evict the statement's own pages from shared_buffers
        -- and write them out itself (docs/benchmarks.md, "where capture's time goes").
        EXECUTE format('DROP TABLE backstop.%I', image);
        EXECUTE format('CREATE TABLE backstop.%I AS SELECT %s FROM %I', image, columns, source);
    ELSE
        EXECUTE format('INSERT INTO backstop.%I (%s%s) SELECT %s%s FROM %I', image, columns, marks[1], columns, marks[2], source);
    END IF;
    GET DIAGNOSTICS rows = ROW_COUNT;
    IF moved THEN
        marks := backstop.image_marks(image, 'u', 2 * step + 1, true);
        EXECUTE format('INSERT INTO backstop.%I (%s%s) SELECT %s%s FROM backstop_new', image, columns, marks[1], columns, marks[2]);
    END IF;

    UPDATE backstop.change_tables SET
        inserted = inserted + CASE WHEN TG_OP = 'INSERT' THEN rows ELSE 0 END,
        updated = updated + CASE WHEN TG_OP = 'UPDATE' THEN rows ELSE 0 END,
        deleted = deleted + CASE WHEN TG_OP = 'DELETE' THEN rows ELSE 0 END,
        firings = firings + 1
    WHERE image_table = image;
    RETURN NULL;
END
$capture$;

-- Format 2: 'V' images, images without per-row marks while a table has one statement, the change's
-- transaction id.
ALTER TABLE backstop.changes ADD COLUMN IF NOT EXISTS xact_id xid8;
ALTER TABLE backstop.change_tables
    ADD COLUMN IF NOT EXISTS firings integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS first_op "char",
    ADD COLUMN IF NOT EXISTS first_seq bigint,
    ADD COLUMN IF NOT EXISTS marked boolean NOT NULL DEFAULT false;

-- Format 3: columns a change retyped (their old values, to set back) and the definition of a type or domain
-- whose DROP … CASCADE took columns with it (re-created by undo before the columns come back).
ALTER TABLE backstop.dropped_columns
    ADD COLUMN IF NOT EXISTS rewritten boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS type_definition text;
-- Large objects a change removed (lo_unlink, whatever called it), kept with their data so undo can create them again.
CREATE TABLE IF NOT EXISTS backstop.large_objects (
    change_id uuid NOT NULL REFERENCES backstop.changes ON DELETE CASCADE,
    loid oid NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (change_id, loid)
);
-- Whether trash.row_estimate is the planner's estimate (items binned before format 3 all are) or a count.
ALTER TABLE backstop.trash ADD COLUMN IF NOT EXISTS rows_estimated boolean NOT NULL DEFAULT true;
