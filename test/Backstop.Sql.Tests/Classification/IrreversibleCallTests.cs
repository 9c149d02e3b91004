namespace Backstop.Sql.Tests.Classification;

/// <summary>Calls whose effects no rollback takes back make a statement a write that a preview never runs.</summary>
public sealed class IrreversibleCallTests
{
    [Theory]
    [InlineData("SELECT pg_terminate_backend(1234)", "pg_terminate_backend(), which terminates a server process")]
    [InlineData("SELECT pg_catalog.pg_cancel_backend(pid) FROM pg_stat_activity", "pg_cancel_backend()")]
    [InlineData("SELECT setval('leads_id_seq', 1)", "setval(), which sets a sequence")]
    [InlineData("SELECT SETVAL ('leads_id_seq', 1)", "setval()")]
    [InlineData("SELECT \"setval\"('leads_id_seq', 1)", "setval()")]
    [InlineData("SELECT lo_export(16384, '/tmp/x')", "lo_export(), which writes a file on the database server")]
    [InlineData("SELECT pg_reload_conf()", "pg_reload_conf()")]
    [InlineData("SELECT pg_switch_wal()", "pg_switch_wal()")]
    [InlineData("SELECT pg_drop_replication_slot('s')", "pg_drop_replication_slot()")]
    [InlineData("SELECT pg_advisory_lock(7)", "pg_advisory_lock(), which takes or releases a session-level advisory lock")]
    [InlineData("SELECT public.dblink_exec('host=x', 'DELETE FROM t')", "dblink_exec(), which reaches another server")]
    [InlineData("UPDATE leads SET n = setval('s', 5) WHERE id = 1", "setval()")]
    [InlineData("DO $$ BEGIN PERFORM setval('s', 1); END $$", "setval(), which sets a sequence, which no rollback sets back (inside the DO block)")]
    [InlineData("DO $x$ BEGIN EXECUTE 'SELECT pg_terminate_backend(' || 1 || ')'; END $x$", "pg_terminate_backend()")]
    public void Classify_a_call_no_rollback_takes_back_is_a_write_with_an_external_effect(string sql, string mentions)
    {
        var info = Classifying.Single(sql);

        Assert.True(info.IsWrite);
        Assert.NotNull(info.ExternalEffect);
        Assert.Contains(mentions, info.ExternalEffect, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT pg_advisory_xact_lock(7)")]
    [InlineData("SELECT nextval('s'), currval('s')")]
    [InlineData("SELECT setval FROM settings")]
    [InlineData("SELECT myschema.setval('s', 1)")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ SELECT setval('s', 1) $$")]
    [InlineData("SELECT 'pg_terminate_backend(1)'")]
    [InlineData("SELECT lo_unlink(16384)")]
    [InlineData("SELECT lo_from_bytea(0, 'x')")]
    [InlineData("DO $$ BEGIN RAISE NOTICE 'no calls here'; END $$")]
    public void Classify_transactional_calls_user_functions_and_text_are_not_irreversible(string sql)
    {
        Assert.Null(Classifying.Single(sql).ExternalEffect);
    }
}
