using Backstop.Core.Configuration;

namespace Backstop.Core.Tests.Configuration;

/// <summary>Every mistake in backstop.yaml names the file, line and column, and what would be valid.</summary>
public sealed class ConfigLoaderErrorTests
{
    private const string Path = "/srv/app/backstop.yaml";

    [Fact]
    public void Parse_unknown_top_level_key_lists_the_known_keys()
    {
        var error = Parse("environments:\npolicy:\n  production: {}\n");

        Assert.Equal("/srv/app/backstop.yaml:2:1: unknown key 'policy' in the file; expected one of: environments, policies, state, server, notifications", error.Message);
    }

    [Fact]
    public void Parse_unknown_environment_key_lists_the_known_keys()
    {
        var error = Parse("""
            environments:
              prod:
                url: postgresql://db/shop
                tire: production
            """);

        Assert.Equal(
            "/srv/app/backstop.yaml:4:5: unknown key 'tire' in environment 'prod'; expected one of: url, tier, timezone, lock_timeout, statement_timeout, retention, identity, backup, pitr, review, schedule, snapshot",
            error.Message);
    }

    [Fact]
    public void Parse_bad_tier_lists_the_tiers()
    {
        var error = Parse("""
            environments:
              prod:
                url: postgresql://db/shop
                tier: prod
            """);

        Assert.Equal("/srv/app/backstop.yaml:4:11: 'tier' is 'prod'; expected one of: development, staging, production", error.Message);
    }

    [Fact]
    public void Parse_numeric_tier_is_refused()
    {
        var error = Parse("environments:\n  prod:\n    url: postgresql://db/shop\n    tier: 2\n");

        Assert.StartsWith("/srv/app/backstop.yaml:4:11: 'tier' is '2'; expected one of:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500")]
    [InlineData("two seconds")]
    [InlineData("0s")]
    [InlineData("-5s")]
    public void Parse_bad_duration_shows_valid_forms(string duration)
    {
        var error = Parse($"environments:\n  prod:\n    url: postgresql://db/shop\n    tier: production\n    statement_timeout: {duration}\n");

        Assert.Equal($"/srv/app/backstop.yaml:5:24: 'statement_timeout' is '{duration}'; expected a duration like 500ms, 2s, 5m or 1h, up to 36500d", error.Message);
    }

    [Fact]
    public void Parse_bad_verdict_lists_the_verdicts()
    {
        var error = Parse("policies:\n  production:\n    drop_database: forbid\n");

        Assert.Equal("/srv/app/backstop.yaml:3:20: 'drop_database' is 'forbid'; expected one of: allow, confirm, approve, deny", error.Message);
    }

    [Fact]
    public void Parse_flow_collection_left_open_before_more_lines_says_so()
    {
        var error = Parse("environments:\n  prod: [unclosed\npolicies:\n");

        Assert.Equal("/srv/app/backstop.yaml: invalid YAML: the file could not be read to its end; look for a [ or { that is never closed", error.Message);
    }

    [Fact]
    public void Parse_verdict_unknown_is_not_one_a_policy_may_give()
    {
        var error = Parse("policies:\n  production:\n    cascade: unknown\n");

        Assert.Equal("/srv/app/backstop.yaml:3:14: 'cascade' is 'unknown'; expected one of: allow, confirm, approve, deny", error.Message);
    }

    [Fact]
    public void Parse_state_url_with_a_password_is_refused_without_showing_it()
    {
        var error = Parse("state: postgresql://backstop:s3cret@db.internal/backstop\n");

        Assert.Equal(
            "/srv/app/backstop.yaml:1:8: the state store's URL contains a password, and Backstop never keeps passwords in backstop.yaml; " +
            "remove it and keep it in ~/.pgpass, or put the whole URL in an environment variable or a file only the server may read and write state: env:VARNAME or state: file:/PATH",
            error.Message);
    }

    [Fact]
    public void Parse_state_that_is_not_a_postgresql_url_says_what_one_looks_like()
    {
        var error = Parse("state: mysql://db.internal/backstop\n");

        Assert.StartsWith("/srv/app/backstop.yaml:1:8: the state store's URL is not valid: a connection URL must start with postgresql://", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("150%")]
    [InlineData("0")]
    [InlineData("half")]
    public void Parse_bad_fraction_shows_valid_forms(string fraction)
    {
        var error = Parse($"policies:\n  production:\n    table_fraction_at_least: {fraction}\n");

        Assert.Equal($"/srv/app/backstop.yaml:3:30: 'table_fraction_at_least' is '{fraction}'; expected a fraction like 0.5 or 50%", error.Message);
    }

    [Fact]
    public void Parse_negative_row_count_is_refused()
    {
        var error = Parse("policies:\n  production:\n    total_rows_over: -1\n");

        Assert.Equal("/srv/app/backstop.yaml:3:22: 'total_rows_over' is '-1'; expected a whole number of at least 0", error.Message);
    }

    [Fact]
    public void Parse_bad_freeze_window_shows_the_expected_form()
    {
        var error = Parse("policies:\n  production:\n    freeze_window: weekends\n");

        Assert.Equal(
            "/srv/app/backstop.yaml:3:20: 'freeze_window' is 'weekends'; expected a weekly window like \"Fri 16:00 - Mon 08:00\", or none",
            error.Message);
    }

    [Fact]
    public void Parse_unknown_policy_tier_lists_the_tiers()
    {
        var error = Parse("policies:\n  prod:\n    write: allow\n");

        Assert.Equal("/srv/app/backstop.yaml:2:3: unknown key 'prod' in policies; expected one of: production, staging, development", error.Message);
    }

    [Fact]
    public void Parse_environment_without_url_says_so()
    {
        var error = Parse("environments:\n  prod:\n    tier: production\n");

        Assert.Equal("/srv/app/backstop.yaml:3:5: environment 'prod' has no 'url'", error.Message);
    }

    [Fact]
    public void Parse_environment_without_tier_lists_the_tiers()
    {
        var error = Parse("environments:\n  prod:\n    url: postgresql://db/shop\n");

        Assert.Equal("/srv/app/backstop.yaml:3:5: environment 'prod' has no 'tier' (production, staging or development)", error.Message);
    }

    [Fact]
    public void Parse_duplicate_key_names_the_line_of_the_repeat()
    {
        var error = Parse("""
            environments:
              prod:
                url: postgresql://db/shop
                tier: production
                url: postgresql://other/shop
            """);

        Assert.Equal("/srv/app/backstop.yaml:5:5: invalid YAML: Duplicate key url", error.Message);
    }

    [Fact]
    public void Parse_invalid_time_zone_suggests_iana_names()
    {
        var error = Parse("environments:\n  prod:\n    url: postgresql://db/shop\n    tier: production\n    timezone: Mars/Olympus\n");

        Assert.Equal("/srv/app/backstop.yaml:5:15: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Berlin or UTC", error.Message);
    }

    [Theory]
    [InlineData("1prod")]
    [InlineData("prod.eu")]
    public void Parse_invalid_environment_name_states_the_rule(string name)
    {
        var error = Parse($"environments:\n  {name}:\n    url: postgresql://db/shop\n    tier: production\n");

        Assert.Equal(
            $"/srv/app/backstop.yaml:3:5: the environment name '{name}' is not valid; use letters, digits, '-' or '_', starting with a letter",
            error.Message);
    }

    [Fact]
    public void Parse_identity_missing_a_key_says_how_to_record_it_again()
    {
        var error = Parse("""
            environments:
              prod:
                url: postgresql://db/shop
                tier: production
                identity: { system_identifier: "7301", database: shop, host: db }
            """);

        Assert.Equal(
            "/srv/app/backstop.yaml:5:15: identity has no 'port'; run `backstop env verify NAME --accept` to record it again",
            error.Message);
    }

    [Fact]
    public void Parse_environment_that_is_not_a_mapping_says_so()
    {
        var error = Parse("environments:\n  prod: postgresql://db/shop\n");

        Assert.Equal("/srv/app/backstop.yaml:2:9: environment 'prod' must be a mapping of keys to values", error.Message);
    }

    [Fact]
    public void Parse_unterminated_quote_names_the_position()
    {
        var error = Parse("environments:\n  prod:\n    url: \"postgresql://db/shop\n");

        Assert.StartsWith("/srv/app/backstop.yaml:3:10: invalid YAML: ", error.Message, StringComparison.Ordinal);
    }

    private static ConfigException Parse(string text) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, Path));
}
