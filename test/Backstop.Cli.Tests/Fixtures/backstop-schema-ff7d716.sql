-- The backstop schema as Backstop ff7d716 left it in a database (capture schema format 4, versioned by the schema's
-- comment), without its image tables: pg_dump --schema=backstop --exclude-table='backstop.img_*' --schema-only
-- --no-owner --no-privileges (PostgreSQL 15.18), with pg_dump's \restrict and \unrestrict lines (psql commands) removed.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: backstop; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA backstop;


--
-- Name: SCHEMA backstop; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA backstop IS 'Backstop: change log and before-images (format 4)';


--
-- Name: capture_rows(); Type: FUNCTION; Schema: backstop; Owner: -
--

CREATE FUNCTION backstop.capture_rows() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
$$;


--
-- Name: capture_step(); Type: FUNCTION; Schema: backstop; Owner: -
--

CREATE FUNCTION backstop.capture_step() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    stack text := format('backstop.step_%s_%s', TG_RELID, lower(TG_OP));
BEGIN
    PERFORM set_config(stack, coalesce(current_setting(stack, true), '') || nextval('backstop.capture_seq') || ',', true);
    RETURN NULL;
END
$$;


--
-- Name: image_columns(name, oid); Type: FUNCTION; Schema: backstop; Owner: -
--

CREATE FUNCTION backstop.image_columns(image name, source oid) RETURNS text
    LANGUAGE plpgsql
    AS $$
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
$$;


--
-- Name: image_marks(name, "char", bigint, boolean); Type: FUNCTION; Schema: backstop; Owner: -
--

CREATE FUNCTION backstop.image_marks(image name, op "char", seq bigint, two_kinds boolean) RETURNS text[]
    LANGUAGE plpgsql
    AS $$
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
$$;


--
-- Name: keys_moved(); Type: FUNCTION; Schema: backstop; Owner: -
--

CREATE FUNCTION backstop.keys_moved() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM set_config(format('backstop.moved_%s', TG_RELID), 'yes', true);
    RETURN NULL;
END
$$;


--
-- Name: take_step(oid, text); Type: FUNCTION; Schema: backstop; Owner: -
--

CREATE FUNCTION backstop.take_step(relid oid, op text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
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
$$;


--
-- Name: capture_seq; Type: SEQUENCE; Schema: backstop; Owner: -
--

CREATE SEQUENCE backstop.capture_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: change_sequences; Type: TABLE; Schema: backstop; Owner: -
--

CREATE TABLE backstop.change_sequences (
    change_id uuid NOT NULL,
    sequence_name text NOT NULL,
    last_value bigint NOT NULL
);


--
-- Name: change_tables; Type: TABLE; Schema: backstop; Owner: -
--

CREATE TABLE backstop.change_tables (
    change_id uuid NOT NULL,
    relid oid NOT NULL,
    schema_name name NOT NULL,
    table_name name NOT NULL,
    image_table name NOT NULL,
    key_columns name[] NOT NULL,
    inserted bigint DEFAULT 0 NOT NULL,
    updated bigint DEFAULT 0 NOT NULL,
    deleted bigint DEFAULT 0 NOT NULL,
    firings integer DEFAULT 0 NOT NULL,
    first_op "char",
    first_seq bigint,
    marked boolean DEFAULT false NOT NULL
);


--
-- Name: changes; Type: TABLE; Schema: backstop; Owner: -
--

CREATE TABLE backstop.changes (
    change_id uuid NOT NULL,
    local_id bigint,
    environment text NOT NULL,
    os_user text NOT NULL,
    script_sha256 text NOT NULL,
    undo_of uuid,
    committed_at timestamp with time zone DEFAULT now() NOT NULL,
    xact_id xid8
);


--
-- Name: dropped_columns; Type: TABLE; Schema: backstop; Owner: -
--

CREATE TABLE backstop.dropped_columns (
    change_id uuid NOT NULL,
    relid oid NOT NULL,
    column_name name NOT NULL,
    column_type text NOT NULL,
    not_null boolean NOT NULL,
    default_expression text,
    image_table name NOT NULL,
    key_columns name[] NOT NULL,
    rewritten boolean DEFAULT false NOT NULL,
    type_definition text
);


--
-- Name: large_objects; Type: TABLE; Schema: backstop; Owner: -
--

CREATE TABLE backstop.large_objects (
    change_id uuid NOT NULL,
    loid oid NOT NULL,
    data bytea NOT NULL
);


--
-- Name: trash; Type: TABLE; Schema: backstop; Owner: -
--

CREATE TABLE backstop.trash (
    trash_id text NOT NULL,
    change_id uuid NOT NULL,
    original_schema name NOT NULL,
    original_name name NOT NULL,
    trash_name name NOT NULL,
    row_estimate bigint NOT NULL,
    foreign_keys jsonb DEFAULT '[]'::jsonb NOT NULL,
    dropped_at timestamp with time zone DEFAULT now() NOT NULL,
    kind text DEFAULT 'table'::text NOT NULL,
    rows_estimated boolean DEFAULT true NOT NULL
);


--
-- Name: change_sequences change_sequences_pkey; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.change_sequences
    ADD CONSTRAINT change_sequences_pkey PRIMARY KEY (change_id, sequence_name);


--
-- Name: change_tables change_tables_image_table_key; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.change_tables
    ADD CONSTRAINT change_tables_image_table_key UNIQUE (image_table);


--
-- Name: change_tables change_tables_pkey; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.change_tables
    ADD CONSTRAINT change_tables_pkey PRIMARY KEY (change_id, relid);


--
-- Name: changes changes_pkey; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.changes
    ADD CONSTRAINT changes_pkey PRIMARY KEY (change_id);


--
-- Name: dropped_columns dropped_columns_image_table_key; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.dropped_columns
    ADD CONSTRAINT dropped_columns_image_table_key UNIQUE (image_table);


--
-- Name: dropped_columns dropped_columns_pkey; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.dropped_columns
    ADD CONSTRAINT dropped_columns_pkey PRIMARY KEY (change_id, relid, column_name);


--
-- Name: large_objects large_objects_pkey; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.large_objects
    ADD CONSTRAINT large_objects_pkey PRIMARY KEY (change_id, loid);


--
-- Name: trash trash_pkey; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.trash
    ADD CONSTRAINT trash_pkey PRIMARY KEY (trash_id);


--
-- Name: trash trash_trash_name_key; Type: CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.trash
    ADD CONSTRAINT trash_trash_name_key UNIQUE (trash_name);


--
-- Name: change_sequences change_sequences_change_id_fkey; Type: FK CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.change_sequences
    ADD CONSTRAINT change_sequences_change_id_fkey FOREIGN KEY (change_id) REFERENCES backstop.changes(change_id) ON DELETE CASCADE;


--
-- Name: change_tables change_tables_change_id_fkey; Type: FK CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.change_tables
    ADD CONSTRAINT change_tables_change_id_fkey FOREIGN KEY (change_id) REFERENCES backstop.changes(change_id) ON DELETE CASCADE;


--
-- Name: dropped_columns dropped_columns_change_id_fkey; Type: FK CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.dropped_columns
    ADD CONSTRAINT dropped_columns_change_id_fkey FOREIGN KEY (change_id) REFERENCES backstop.changes(change_id) ON DELETE CASCADE;


--
-- Name: large_objects large_objects_change_id_fkey; Type: FK CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.large_objects
    ADD CONSTRAINT large_objects_change_id_fkey FOREIGN KEY (change_id) REFERENCES backstop.changes(change_id) ON DELETE CASCADE;


--
-- Name: trash trash_change_id_fkey; Type: FK CONSTRAINT; Schema: backstop; Owner: -
--

ALTER TABLE ONLY backstop.trash
    ADD CONSTRAINT trash_change_id_fkey FOREIGN KEY (change_id) REFERENCES backstop.changes(change_id);


--
-- PostgreSQL database dump complete
--


