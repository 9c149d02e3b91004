using Backstop.Sql.Classification;

namespace Backstop.Sql.Tests.Classification;

public sealed class StatementFlagTests
{
    [Theory]
    [InlineData("VACUUM")]
    [InlineData("VACUUM (VERBOSE, ANALYZE) t")]
    [InlineData("CREATE DATABASE d")]
    [InlineData("DROP DATABASE IF EXISTS d")]
    [InlineData("CREATE TABLESPACE ts LOCATION '/x'")]
    [InlineData("DROP TABLESPACE ts")]
    [InlineData("ALTER SYSTEM SET work_mem = '64MB'")]
    [InlineData("CREATE INDEX CONCURRENTLY i ON t (a)")]
    [InlineData("CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)")]
    [InlineData("DROP INDEX CONCURRENTLY IF EXISTS i")]
    [InlineData("REINDEX INDEX CONCURRENTLY i")]
    [InlineData("REINDEX (CONCURRENTLY) TABLE t")]
    [InlineData("REINDEX DATABASE d")]
    [InlineData("REINDEX SYSTEM d")]
    [InlineData("CLUSTER")]
    [InlineData("CLUSTER VERBOSE")]
    [InlineData("ALTER TABLE p DETACH PARTITION c CONCURRENTLY")]
    [InlineData("CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p")]
    [InlineData("ALTER SUBSCRIPTION s REFRESH PUBLICATION")]
    [InlineData("DROP SUBSCRIPTION s")]
    [InlineData("COMMIT PREPARED 'x'")]
    [InlineData("DISCARD ALL")]
    public void Classify_statement_refused_in_transaction_block_is_flagged(string sql)
    {
        Assert.False(Classifying.Single(sql).AllowedInTransaction);
    }

    [Theory]
    [InlineData("CREATE INDEX i ON t (a)")]
    [InlineData("DROP INDEX i")]
    [InlineData("REINDEX TABLE t")]
    [InlineData("REINDEX (CONCURRENTLY false) TABLE t")]
    [InlineData("CLUSTER t")]
    [InlineData("ALTER TABLE p DETACH PARTITION c")]
    [InlineData("ANALYZE t")]
    [InlineData("UPDATE t SET a = 1")]
    [InlineData("FROBNICATE")]
    public void Classify_ordinary_statement_is_allowed_in_transaction(string sql)
    {
        Assert.True(Classifying.Single(sql).AllowedInTransaction);
    }

    [Theory]
    [InlineData("ALTER TABLE t DROP COLUMN c", true)]
    [InlineData("ALTER TABLE t DROP COLUMN IF EXISTS c CASCADE", true)]
    [InlineData("ALTER TABLE t DROP c", true)]
    [InlineData("ALTER TABLE t DROP IF EXISTS c", true)]
    [InlineData("ALTER TABLE t DROP \"Col\"", true)]
    [InlineData("ALTER TABLE t ADD COLUMN d int, DROP COLUMN c", true)]
    [InlineData("ALTER TABLE t DROP CONSTRAINT t_pkey", false)]
    [InlineData("ALTER TABLE t DROP CONSTRAINT IF EXISTS t_pkey", false)]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP DEFAULT", false)]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP NOT NULL", false)]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP IDENTITY IF EXISTS", false)]
    [InlineData("ALTER TABLE t ALTER c DROP EXPRESSION", false)]
    [InlineData("ALTER TABLE t ADD COLUMN c int DEFAULT 0", false)]
    [InlineData("ALTER TABLE t ADD CONSTRAINT c CHECK (a IN (1, 2)), DROP CONSTRAINT d", false)]
    public void Classify_alter_table_drops_column_only_for_column_drops(string sql, bool dropsColumn)
    {
        var info = Classifying.Single(sql);

        Assert.Equal(StatementKind.AlterTable, info.Kind);
        Assert.Equal(dropsColumn, info.DropsColumn);
    }

    [Theory]
    [InlineData("DROP TABLE t CASCADE", true)]
    [InlineData("drop schema s cascade", true)]
    [InlineData("DROP TABLE t RESTRICT", false)]
    [InlineData("DROP TABLE t", false)]
    [InlineData("TRUNCATE t CASCADE", true)]
    [InlineData("TRUNCATE t", false)]
    [InlineData("DROP TABLE \"cascade\"", false)]
    public void Classify_cascade_is_detected_in_drop_and_truncate(string sql, bool cascade)
    {
        Assert.Equal(cascade, Classifying.Single(sql).Cascade);
    }

    [Theory]
    [InlineData("EXPLAIN ANALYZE DELETE FROM t", StatementKind.Delete, true)]
    [InlineData("EXPLAIN ANALYSE VERBOSE UPDATE t SET a = 1 WHERE id = 1", StatementKind.Update, true)]
    [InlineData("EXPLAIN (ANALYZE) INSERT INTO t VALUES (1)", StatementKind.Insert, true)]
    [InlineData("EXPLAIN (ANALYZE true, BUFFERS) DELETE FROM t", StatementKind.Delete, true)]
    [InlineData("EXPLAIN (FORMAT JSON, ANALYZE on) DELETE FROM t", StatementKind.Delete, true)]
    [InlineData("EXPLAIN (ANALYZE false) DELETE FROM t", StatementKind.Explain, false)]
    [InlineData("EXPLAIN (ANALYZE off) DELETE FROM t", StatementKind.Explain, false)]
    [InlineData("EXPLAIN (VERBOSE) DELETE FROM t", StatementKind.Explain, false)]
    [InlineData("EXPLAIN DELETE FROM t", StatementKind.Explain, false)]
    [InlineData("EXPLAIN ANALYZE SELECT * FROM t", StatementKind.Explain, false)]
    [InlineData("EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING 1) SELECT 1", StatementKind.Delete, true)]
    public void Classify_explain_analyze_of_write_is_that_write(string sql, StatementKind kind, bool isWrite)
    {
        var info = Classifying.Single(sql);

        Assert.Equal(kind, info.Kind);
        Assert.Equal(isWrite, info.IsWrite);
    }

    [Fact]
    public void Classify_explain_analyze_delete_without_where_affects_all_rows()
    {
        var info = Classifying.Single("EXPLAIN ANALYZE DELETE FROM orders");

        Assert.True(info.AffectsAllRows);
        Assert.Equal(["orders"], Classifying.TargetNames(info));
    }
}
