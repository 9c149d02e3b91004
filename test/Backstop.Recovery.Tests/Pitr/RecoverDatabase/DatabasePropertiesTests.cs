using Backstop.Recovery.Pitr.RecoverDatabase;

namespace Backstop.Recovery.Tests.Pitr.RecoverDatabase;

/// <summary>What a database put back is given besides its contents, as statements.</summary>
public sealed class DatabasePropertiesTests
{
    private static readonly DatabaseProperties Shop = new()
    {
        Owner = "app owner",
        Encoding = "UTF8",
        Collate = "en_US.UTF-8",
        CType = "en_US.UTF-8",
        LocaleProvider = "libc",
        Tablespace = "pg_default",
        ConnectionLimit = 50,
        AllowConnections = true,
        IsTemplate = false,
        Settings = [(null, "search_path=app, \"Reports 2026\", public"), ("reporting", "work_mem=64MB"), (null, "statement_timeout=5s")],
        Privileges = [(null, "CONNECT", false), ("app owner", "CREATE", false), ("reporting", "CONNECT", true)],
        Comment = "the shop's database",
    };

    [Fact]
    public void CreateStatement_chooses_what_can_only_be_chosen_at_creation_from_template0()
    {
        Assert.Equal(
            "CREATE DATABASE \"shop_recovering_1a2b3c\" WITH TEMPLATE template0 OWNER \"app owner\" ENCODING 'UTF8' LOCALE_PROVIDER libc LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'en_US.UTF-8' TABLESPACE \"pg_default\"",
            Shop.CreateStatement("shop_recovering_1a2b3c"));
        Assert.EndsWith(" ICU_LOCALE 'und-x-icu' TABLESPACE \"pg_default\"", (Shop with { LocaleProvider = "icu", IcuLocale = "und-x-icu" }).CreateStatement("shop"), StringComparison.Ordinal);
    }

    [Fact]
    public void AlterStatements_give_limits_settings_privileges_and_comment_under_the_new_name()
    {
        Assert.Equal(
            [
                "ALTER DATABASE \"shop\" CONNECTION LIMIT 50",
                "ALTER DATABASE \"shop\" SET \"search_path\" TO 'app', 'Reports 2026', 'public'",
                "ALTER ROLE \"reporting\" IN DATABASE \"shop\" SET \"work_mem\" TO '64MB'",
                "ALTER DATABASE \"shop\" SET \"statement_timeout\" TO '5s'",
                "REVOKE ALL ON DATABASE \"shop\" FROM PUBLIC",
                "REVOKE ALL ON DATABASE \"shop\" FROM \"app owner\"",
                "GRANT CONNECT ON DATABASE \"shop\" TO PUBLIC",
                "GRANT CREATE ON DATABASE \"shop\" TO \"app owner\"",
                "GRANT CONNECT ON DATABASE \"shop\" TO \"reporting\" WITH GRANT OPTION",
                "COMMENT ON DATABASE \"shop\" IS 'the shop''s database'",
            ],
            Shop.AlterStatements("shop"));
    }

    [Fact]
    public void AlterStatements_of_a_database_with_defaults_are_none()
    {
        Assert.Empty((Shop with { ConnectionLimit = -1, Settings = [], Privileges = null, Comment = null }).AlterStatements("shop"));
    }

    [Theory]
    [InlineData("search_path", "\"$user\", public", "'$user', 'public'")]
    [InlineData("search_path", "\"a\"\"b\",c", "'a\"b', 'c'")]
    [InlineData("temp_tablespaces", "", "''")]
    [InlineData("DateStyle", "ISO, MDY", "'ISO, MDY'")]
    [InlineData("application_name", "it's", "'it''s'")]
    public void Value_quotes_each_element_of_a_list_setting_and_the_whole_of_any_other(string parameter, string stored, string expected)
    {
        Assert.Equal(expected, DatabaseProperties.Value(parameter, stored));
    }
}
