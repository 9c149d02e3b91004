namespace Backstop.Sql.Tests.Classification;

/// <summary>Statements risky for what they lock or grant (the rules locking_ddl and privileges).</summary>
public sealed class RiskyFormTests
{
    [Theory]
    [InlineData("CREATE INDEX big_v ON big (v)", "CREATE INDEX without CONCURRENTLY", "SHARE", "big")]
    [InlineData("CREATE UNIQUE INDEX IF NOT EXISTS big_v ON ONLY public.big (v)", "CREATE INDEX without CONCURRENTLY", "SHARE", "public.big")]
    [InlineData("VACUUM FULL big", "VACUUM FULL", "ACCESS EXCLUSIVE", "big")]
    [InlineData("VACUUM (FULL, VERBOSE) big", "VACUUM FULL", "ACCESS EXCLUSIVE", "big")]
    [InlineData("CLUSTER big USING big_pkey", "CLUSTER", "ACCESS EXCLUSIVE", "big")]
    [InlineData("LOCK TABLE big IN SHARE ROW EXCLUSIVE MODE", "LOCK TABLE", "SHARE ROW EXCLUSIVE", "big")]
    [InlineData("LOCK big", "LOCK TABLE", "ACCESS EXCLUSIVE", "big")]
    [InlineData("ALTER TABLE big ALTER COLUMN v TYPE bigint", "ALTER TABLE that rewrites the table", "ACCESS EXCLUSIVE", "big")]
    [InlineData("ALTER TABLE big ALTER COLUMN v SET NOT NULL", "ALTER TABLE … SET NOT NULL (it scans every row)", "ACCESS EXCLUSIVE", "big")]
    [InlineData("ALTER TABLE big ADD CONSTRAINT v_positive CHECK (v > 0)", "ALTER TABLE … ADD CONSTRAINT without NOT VALID (it checks every row)", "ACCESS EXCLUSIVE", "big")]
    [InlineData("REFRESH MATERIALIZED VIEW totals", "REFRESH MATERIALIZED VIEW without CONCURRENTLY", "ACCESS EXCLUSIVE", "totals")]
    public void Classify_a_locking_form_names_the_lock_and_the_table(string sql, string what, string mode, string table)
    {
        var info = Classifying.Single(sql);

        Assert.Equal(what, info.Lock?.What);
        Assert.Equal(mode, info.Lock?.Mode);
        Assert.Equal([table], Classifying.TargetNames(info));
    }

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY big_v ON big (v)")]
    [InlineData("ALTER TABLE big ADD CONSTRAINT v_positive CHECK (v > 0) NOT VALID")]
    [InlineData("ALTER TABLE big ADD COLUMN note text")]
    [InlineData("REFRESH MATERIALIZED VIEW CONCURRENTLY totals")]
    [InlineData("VACUUM big")]
    [InlineData("UPDATE big SET v = 1 WHERE id = 1")]
    public void Classify_forms_that_do_not_block_writes_for_long_have_no_lock(string sql)
    {
        Assert.Null(Classifying.Single(sql).Lock);
    }

    [Theory]
    [InlineData("GRANT SELECT ON big TO PUBLIC", "TO PUBLIC")]
    [InlineData("GRANT ALL ON ALL TABLES IN SCHEMA public TO app, public", "TO PUBLIC")]
    [InlineData("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC", "TO PUBLIC")]
    [InlineData("ALTER ROLE app SUPERUSER", "SUPERUSER")]
    [InlineData("ALTER USER app WITH BYPASSRLS", "BYPASSRLS")]
    [InlineData("CREATE ROLE admin2 LOGIN SUPERUSER", "SUPERUSER")]
    [InlineData("ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM")]
    public void Classify_a_widening_privilege_says_what_it_gives(string sql, string mentions)
    {
        Assert.Contains(mentions, Classifying.Single(sql).Privilege, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GRANT SELECT ON big TO app")]
    [InlineData("ALTER ROLE app NOSUPERUSER")]
    [InlineData("REVOKE ALL ON big FROM PUBLIC")]
    public void Classify_narrow_grants_and_revokes_are_no_privilege_finding(string sql)
    {
        Assert.Null(Classifying.Single(sql).Privilege);
    }
}
