using Backstop.Sql.Classification;

namespace Backstop.Sql.Tests.Classification;

public sealed class StatementKindTests
{
    [Theory]
    [InlineData("SELECT * FROM t", StatementKind.Select, false)]
    [InlineData("select 1", StatementKind.Select, false)]
    [InlineData("VALUES (1), (2)", StatementKind.Select, false)]
    [InlineData("TABLE t", StatementKind.Select, false)]
    [InlineData("WITH x AS (SELECT 1) SELECT * FROM x", StatementKind.Select, false)]
    [InlineData("(SELECT 1) UNION (SELECT 2)", StatementKind.Select, false)]
    [InlineData("SELECT * FROM t FOR UPDATE", StatementKind.Select, false)]
    [InlineData("INSERT INTO t VALUES (1)", StatementKind.Insert, true)]
    [InlineData("UPDATE t SET a = 1 WHERE id = 1", StatementKind.Update, true)]
    [InlineData("DELETE FROM t WHERE id = 1", StatementKind.Delete, true)]
    [InlineData("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", StatementKind.Merge, true)]
    [InlineData("TRUNCATE t", StatementKind.Truncate, true)]
    [InlineData("DROP TABLE t", StatementKind.DropTable, true)]
    [InlineData("DROP SCHEMA s", StatementKind.DropSchema, true)]
    [InlineData("DROP DATABASE d", StatementKind.DropDatabase, true)]
    [InlineData("DROP INDEX i", StatementKind.DropIndex, true)]
    [InlineData("DROP VIEW v", StatementKind.DropView, true)]
    [InlineData("DROP MATERIALIZED VIEW mv", StatementKind.DropMaterializedView, true)]
    [InlineData("DROP SEQUENCE s", StatementKind.DropSequence, true)]
    [InlineData("DROP FUNCTION f(int)", StatementKind.DropFunction, true)]
    [InlineData("DROP PROCEDURE p", StatementKind.DropProcedure, true)]
    [InlineData("DROP TRIGGER tr ON t", StatementKind.DropTrigger, true)]
    [InlineData("DROP TYPE ty", StatementKind.DropType, true)]
    [InlineData("DROP EXTENSION e", StatementKind.DropExtension, true)]
    [InlineData("DROP ROLE r", StatementKind.DropRole, true)]
    [InlineData("DROP USER u", StatementKind.DropRole, true)]
    [InlineData("DROP GROUP g", StatementKind.DropRole, true)]
    [InlineData("DROP DOMAIN d", StatementKind.DropOther, true)]
    [InlineData("DROP OWNED BY r", StatementKind.DropOther, true)]
    [InlineData("ALTER TABLE t ADD COLUMN c int", StatementKind.AlterTable, true)]
    [InlineData("ALTER INDEX i RENAME TO j", StatementKind.AlterOther, true)]
    [InlineData("CREATE TABLE t (a int)", StatementKind.Create, true)]
    [InlineData("COPY t FROM STDIN", StatementKind.CopyFrom, true)]
    [InlineData("COPY t TO STDOUT", StatementKind.CopyTo, false)]
    [InlineData("COPY (SELECT * FROM t) TO STDOUT", StatementKind.CopyTo, false)]
    [InlineData("COPY t TO PROGRAM 'gzip > /tmp/t.gz'", StatementKind.CopyTo, true)]
    [InlineData("BEGIN", StatementKind.TransactionControl, false)]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE", StatementKind.TransactionControl, false)]
    [InlineData("START TRANSACTION", StatementKind.TransactionControl, false)]
    [InlineData("COMMIT", StatementKind.TransactionControl, false)]
    [InlineData("END", StatementKind.TransactionControl, false)]
    [InlineData("ROLLBACK", StatementKind.TransactionControl, false)]
    [InlineData("ABORT", StatementKind.TransactionControl, false)]
    [InlineData("SAVEPOINT sp", StatementKind.TransactionControl, false)]
    [InlineData("RELEASE SAVEPOINT sp", StatementKind.TransactionControl, false)]
    [InlineData("ROLLBACK TO SAVEPOINT sp", StatementKind.TransactionControl, false)]
    [InlineData("PREPARE TRANSACTION 'x'", StatementKind.TransactionControl, false)]
    [InlineData("COMMIT PREPARED 'x'", StatementKind.TransactionControl, false)]
    [InlineData("ROLLBACK PREPARED 'x'", StatementKind.TransactionControl, false)]
    [InlineData("SET search_path = app", StatementKind.Set, false)]
    [InlineData("SET LOCAL lock_timeout = '1s'", StatementKind.Set, false)]
    [InlineData("SET SESSION statement_timeout TO 0", StatementKind.Set, false)]
    [InlineData("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", StatementKind.Set, false)]
    [InlineData("SET CONSTRAINTS ALL DEFERRED", StatementKind.Set, false)]
    [InlineData("RESET ALL", StatementKind.Reset, false)]
    [InlineData("SHOW server_version", StatementKind.Show, false)]
    [InlineData("DO $$ BEGIN DELETE FROM t; END $$", StatementKind.Do, true)]
    [InlineData("CALL p(1)", StatementKind.Call, true)]
    [InlineData("GRANT SELECT ON t TO r", StatementKind.Grant, true)]
    [InlineData("REVOKE ALL ON t FROM r", StatementKind.Revoke, true)]
    [InlineData("VACUUM t", StatementKind.Vacuum, true)]
    [InlineData("ANALYZE t", StatementKind.Analyze, true)]
    [InlineData("EXPLAIN SELECT 1", StatementKind.Explain, false)]
    [InlineData("EXPLAIN DELETE FROM t", StatementKind.Explain, false)]
    [InlineData("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", StatementKind.Other, true)]
    [InlineData("COMMENT ON TABLE t IS 'x'", StatementKind.Other, true)]
    [InlineData("LISTEN ch", StatementKind.Other, false)]
    [InlineData("UNLISTEN *", StatementKind.Other, false)]
    [InlineData("NOTIFY ch, 'x'", StatementKind.Other, true)]
    [InlineData("CHECKPOINT", StatementKind.Other, false)]
    [InlineData("REINDEX TABLE t", StatementKind.Other, true)]
    [InlineData("CLUSTER t USING i", StatementKind.Other, true)]
    [InlineData("REFRESH MATERIALIZED VIEW mv", StatementKind.Other, true)]
    [InlineData("DISCARD ALL", StatementKind.Other, false)]
    [InlineData("PREPARE q AS SELECT 1", StatementKind.Other, false)]
    [InlineData("EXECUTE q", StatementKind.Other, true)]
    [InlineData("DEALLOCATE q", StatementKind.Other, false)]
    [InlineData("DECLARE c CURSOR FOR SELECT 1", StatementKind.Other, false)]
    [InlineData("FETCH 10 FROM c", StatementKind.Other, false)]
    [InlineData("MOVE NEXT IN c", StatementKind.Other, false)]
    [InlineData("CLOSE c", StatementKind.Other, false)]
    [InlineData("SECURITY LABEL ON TABLE t IS 'x'", StatementKind.Other, true)]
    [InlineData("IMPORT FOREIGN SCHEMA s FROM SERVER srv INTO app", StatementKind.Other, true)]
    [InlineData("REASSIGN OWNED BY a TO b", StatementKind.Other, true)]
    [InlineData("LOAD 'auto_explain'", StatementKind.Other, true)]
    [InlineData("FROBNICATE t", StatementKind.Unclassified, true)]
    [InlineData("\"select\" 1", StatementKind.Unclassified, true)]
    [InlineData("42", StatementKind.Unclassified, true)]
    public void Classify_statement_returns_kind_and_write_flag(string sql, StatementKind kind, bool isWrite)
    {
        var info = Classifying.Single(sql);

        Assert.Equal(kind, info.Kind);
        Assert.Equal(isWrite, info.IsWrite);
    }

    [Theory]
    [InlineData("CREATE TABLE t (a int PRIMARY KEY, b text NOT NULL CHECK (b <> ''))", "TABLE")]
    [InlineData("CREATE TEMP TABLE t AS SELECT 1", "TABLE")]
    [InlineData("CREATE UNLOGGED TABLE IF NOT EXISTS t (a int)", "TABLE")]
    [InlineData("CREATE INDEX i ON t (a)", "INDEX")]
    [InlineData("CREATE UNIQUE INDEX i ON t (a)", "INDEX")]
    [InlineData("CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql", "FUNCTION")]
    [InlineData("CREATE MATERIALIZED VIEW mv AS SELECT 1", "MATERIALIZED VIEW")]
    [InlineData("CREATE OR REPLACE RECURSIVE VIEW v (n) AS SELECT 1", "VIEW")]
    [InlineData("CREATE FOREIGN TABLE ft (a int) SERVER s", "FOREIGN TABLE")]
    [InlineData("CREATE EXTENSION IF NOT EXISTS pgcrypto", "EXTENSION")]
    [InlineData("CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", "TRIGGER")]
    [InlineData("create schema app", "SCHEMA")]
    public void Classify_create_sets_object_type(string sql, string objectType)
    {
        var info = Classifying.Single(sql);

        Assert.Equal(StatementKind.Create, info.Kind);
        Assert.Equal(objectType, info.ObjectType);
        Assert.True(info.IsWrite);
    }

    [Fact]
    public void Classify_select_into_is_create_table_write()
    {
        var info = Classifying.Single("SELECT * INTO TEMP TABLE backup_orders FROM orders");

        Assert.Equal(StatementKind.Create, info.Kind);
        Assert.Equal("TABLE", info.ObjectType);
        Assert.True(info.IsWrite);
        Assert.Equal(["backup_orders"], Classifying.TargetNames(info));
    }

    [Theory]
    [InlineData("SELECT :'who', :limit FROM t WHERE name = :\"col\"", new[] { "who", "limit", "col" })]
    [InlineData("SELECT a::int, b[1:2] FROM t", new string[0])]
    public void Classify_psql_variables_are_listed(string sql, string[] expected)
    {
        Assert.Equal(expected, Classifying.Single(sql).PsqlVariables);
    }

    [Theory]
    [InlineData("(")]
    [InlineData("WITH")]
    [InlineData("WITH x AS")]
    [InlineData("WITH x AS (DELETE FROM")]
    [InlineData("UPDATE")]
    [InlineData("DELETE FROM")]
    [InlineData("INSERT INTO")]
    [InlineData("DROP")]
    [InlineData("DROP TABLE")]
    [InlineData("ALTER TABLE t DROP")]
    [InlineData("EXPLAIN (")]
    [InlineData("EXPLAIN (ANALYZE")]
    [InlineData("COPY (")]
    [InlineData("CREATE INDEX ON")]
    [InlineData("UPDATE t SET a = 1 WHERE (")]
    [InlineData("UPDATE t SET a = 1 WHERE )) OR ((")]
    [InlineData("DELETE FROM t WHERE NOT")]
    [InlineData("SELECT * FROM")]
    [InlineData("SELECT * FROM ONLY")]
    [InlineData("REINDEX (")]
    [InlineData("CLUSTER (")]
    [InlineData("TRUNCATE ONLY")]
    public void Classify_truncated_input_does_not_throw(string sql)
    {
        var info = Classifying.Single(sql);

        Assert.NotNull(info);
    }
}
