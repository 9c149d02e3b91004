using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Postgres.Catalog;

namespace Backstop.Core.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private const string Path = "/srv/app/backstop.yaml";

    private const string FullFile = """
        environments:
          prod:
            url: "postgresql://app@db.example.com:5432/shop"
            tier: production
            timezone: Europe/Berlin
            lock_timeout: 500ms
            statement_timeout: 1m
            identity: { system_identifier: "7301234567890123456", database: shop, host: db.example.com, port: 5432 }
          dev:
            url: env:DEV_DATABASE_URL
            tier: development
        policies:
          production:
            total_rows_over: 5000
            table_fraction_at_least: 30%
            freeze_window: none
            write: allow
          staging:
            freeze_window: "Sat 00:00 - Sun 12:00"
            freeze: deny
        """;

    [Fact]
    public void Parse_starter_text_has_no_environments_and_default_policies()
    {
        var config = ConfigLoader.Parse(StarterConfig.Text, Path);

        Assert.Empty(config.Environments);
        Assert.Equal(TierPolicy.Production, config.Policies[Tier.Production]);
        Assert.Equal(TierPolicy.Staging, config.Policies[Tier.Staging]);
        Assert.Equal(TierPolicy.Development, config.Policies[Tier.Development]);
    }

    [Fact]
    public void Parse_empty_text_has_no_environments_and_default_policies()
    {
        var config = ConfigLoader.Parse("", Path);

        Assert.Empty(config.Environments);
        Assert.Equal(3, config.Policies.Count);
    }

    [Fact]
    public void Parse_full_file_reads_every_environment_setting()
    {
        var config = ConfigLoader.Parse(FullFile, Path);

        Assert.Equal(["prod", "dev"], config.Environments.Select(e => e.Name));
        var prod = config.Environment("prod");
        Assert.Equal("postgresql://app@db.example.com:5432/shop", prod.Url);
        Assert.Equal(Tier.Production, prod.Tier);
        Assert.Equal("Europe/Berlin", prod.TimeZone.Id);
        Assert.Equal(TimeSpan.FromMilliseconds(500), prod.LockTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), prod.StatementTimeout);
        Assert.Equal(new ServerIdentity("7301234567890123456", "shop", "db.example.com", 5432), prod.Identity);
    }

    [Fact]
    public void Parse_environment_without_optional_settings_gets_the_defaults()
    {
        var dev = ConfigLoader.Parse(FullFile, Path).Environment("dev");

        Assert.Equal("env:DEV_DATABASE_URL", dev.Url);
        Assert.Equal(Tier.Development, dev.Tier);
        Assert.Equal(TimeZoneInfo.Utc, dev.TimeZone);
        Assert.Equal(TimeSpan.FromSeconds(2), dev.LockTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), dev.StatementTimeout);
        Assert.Null(dev.Identity);
    }

    [Fact]
    public void Parse_policy_overrides_change_only_the_keys_given()
    {
        var config = ConfigLoader.Parse(FullFile, Path);

        Assert.Equal(
            TierPolicy.Production with { TotalRowsOver = 5000, TableFractionAtLeast = 0.3, FreezeWindow = null, Write = Verdict.Allow },
            config.Policies[Tier.Production]);
        Assert.Equal(
            TierPolicy.Staging with { FreezeWindow = new FreezeWindow(DayOfWeek.Saturday, new TimeOnly(0, 0), DayOfWeek.Sunday, new TimeOnly(12, 0)), Freeze = Verdict.Deny },
            config.Policies[Tier.Staging]);
        Assert.Equal(TierPolicy.Development, config.Policies[Tier.Development]);
    }

    [Theory]
    [InlineData("0.25", 0.25)]
    [InlineData("25%", 0.25)]
    [InlineData("100%", 1.0)]
    [InlineData("1", 1.0)]
    public void Parse_table_fraction_accepts_decimals_and_percentages(string text, double expected)
    {
        var config = ConfigLoader.Parse($"policies:\n  staging:\n    table_fraction_at_least: {text}\n", Path);

        Assert.Equal(expected, config.Policies[Tier.Staging].TableFractionAtLeast, 10);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    public void Parse_durations_read_their_unit(string text, long milliseconds)
    {
        var config = ConfigLoader.Parse($"environments:\n  prod:\n    url: postgresql://h/db\n    tier: production\n    lock_timeout: {text}\n", Path);

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), config.Environment("prod").LockTimeout);
    }

    [Fact]
    public void Environment_unknown_name_lists_the_known_ones()
    {
        var config = ConfigLoader.Parse(FullFile, Path);

        var error = Assert.Throws<ConfigException>(() => config.Environment("nope"));

        Assert.Equal("unknown environment 'nope' in /srv/app/backstop.yaml; known: prod, dev", error.Message);
    }

    [Fact]
    public void Environment_with_none_defined_says_how_to_add_one()
    {
        var config = ConfigLoader.Parse(StarterConfig.Text, Path);

        var error = Assert.Throws<ConfigException>(() => config.Environment("prod"));

        Assert.Contains("none is defined yet; add one with `backstop env add NAME", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StateDirectory_is_beside_the_file()
    {
        var config = ConfigLoader.Parse(StarterConfig.Text, Path);

        Assert.Equal("/srv/app/.backstop", config.StateDirectory);
    }

    [Fact]
    public void Locate_explicit_path_wins_over_the_variable()
    {
        var path = ConfigLoader.Locate("conf/explicit.yaml", "/home/me/project", _ => "/etc/backstop/from-variable.yaml");

        Assert.Equal("/home/me/project/conf/explicit.yaml", path);
    }

    [Fact]
    public void Locate_without_explicit_path_uses_the_backstop_config_variable()
    {
        string? asked = null;

        var path = ConfigLoader.Locate(null, "/home/me/project", name => { asked = name; return "/etc/backstop/from-variable.yaml"; });

        Assert.Equal("BACKSTOP_CONFIG", asked);
        Assert.Equal("/etc/backstop/from-variable.yaml", path);
    }

    [Fact]
    public void Locate_relative_variable_is_resolved_against_the_working_directory()
    {
        var path = ConfigLoader.Locate(null, "/home/me/project", _ => "../shared/backstop.yaml");

        Assert.Equal("/home/me/shared/backstop.yaml", path);
    }

    [Fact]
    public void Locate_without_path_or_variable_uses_backstop_yaml_in_the_working_directory()
    {
        var path = ConfigLoader.Locate(null, "/home/me/project", _ => null);

        Assert.Equal("/home/me/project/backstop.yaml", path);
    }

    [Fact]
    public void Load_missing_file_says_how_to_create_one()
    {
        var missing = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"backstop-missing-{Guid.NewGuid():N}", "backstop.yaml");

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(missing));

        Assert.Equal($"no configuration at {missing}; create one with `backstop init` (or point --config / BACKSTOP_CONFIG at yours)", error.Message);
    }
}
