using Backstop.Core.Configuration;

namespace Backstop.Core.Tests.Configuration;

/// <summary>Mistakes found by the review of backstop.yaml: each is a configuration error naming the file, line and column.</summary>
public sealed class ConfigLoaderReviewTests
{
    private const string Path = "/srv/app/backstop.yaml";

    [Theory]
    [InlineData("lock_timeout: 30d", "/srv/app/backstop.yaml:5:19: 'lock_timeout' is '30d', out of range; use from 1ms to 2147483647ms (about 24 days)")]
    [InlineData("statement_timeout: 0.4ms", "/srv/app/backstop.yaml:5:24: 'statement_timeout' is '0.4ms', out of range; use from 1ms to 2147483647ms (about 24 days)")]
    [InlineData("retention: 99999999999d", "/srv/app/backstop.yaml:5:16: 'retention' is '99999999999d'; expected a duration like 500ms, 2s, 5m or 1h, up to 36500d")]
    [InlineData("retention: 1e400s", "/srv/app/backstop.yaml:5:16: 'retention' is '1e400s'; expected a duration like 500ms, 2s, 5m or 1h, up to 36500d")]
    [InlineData("retention: Infinityd", "/srv/app/backstop.yaml:5:16: 'retention' is 'Infinityd'; expected a duration like 500ms, 2s, 5m or 1h, up to 36500d")]
    public void Parse_out_of_range_duration_is_a_configuration_error_at_its_line(string setting, string message)
    {
        var error = Parse($"environments:\n  prod:\n    url: postgresql://db/shop\n    tier: production\n    {setting}\n");

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("sslmode=bogus", "the connection URL parameter sslmode=bogus is not accepted by Npgsql; use disable, allow, prefer, require, verify-ca or verify-full")]
    [InlineData("connect_timeout=5000", "the connection URL parameter connect_timeout=5000 is not accepted by Npgsql; use a number of seconds from 0 to 1024")]
    [InlineData("target_session_attrs=primary-only", "the connection URL parameter target_session_attrs=primary-only is not accepted by Npgsql; use any, read-write, read-only, primary, standby or prefer-standby")]
    [InlineData("keepalives=1", "the connection URL parameter 'keepalives' is not supported;")]
    public void Parse_url_parameter_npgsql_rejects_is_a_configuration_error_at_its_line(string parameter, string reason)
    {
        var error = Parse($"environments:\n  prod:\n    url: postgresql://app@db/shop?{parameter}\n    tier: production\n");

        Assert.StartsWith($"/srv/app/backstop.yaml:3:10: the URL of environment 'prod' is not valid: {reason}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_libpq_sslmode_spelling_is_accepted()
    {
        var config = ConfigLoader.Parse("environments:\n  prod:\n    url: postgresql://app@db/shop?sslmode=verify-full\n    tier: production\n", Path);

        Assert.Contains("SSL Mode=VerifyFull", Postgres.Connections.PgUrl.Parse(config.Environments[0].Url).ToConnectionString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://app:hunter2@db.example.com/shop")]
    [InlineData("postgresql://app@db.example.com/shop?password=hunter2")]
    public void Parse_password_written_into_a_url_is_refused_without_showing_it(string url)
    {
        var error = Parse($"environments:\n  prod:\n    url: {url}\n    tier: production\n");

        Assert.Equal(
            "/srv/app/backstop.yaml:3:10: the URL of environment 'prod' contains a password, and Backstop never keeps passwords in backstop.yaml; " +
            "remove it and keep it in ~/.pgpass, or put the whole URL in an environment variable or a file only the server may read and write url: env:VARNAME or url: file:/PATH",
            error.Message);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_url_from_a_variable_is_read_only_when_used()
    {
        var config = ConfigLoader.Parse("environments:\n  prod:\n    url: env:PROD_URL\n    tier: production\n", Path);

        Assert.Equal("env:PROD_URL", config.Environments[0].Url);
    }

    [Fact]
    public void Parse_environment_names_that_differ_only_in_case_are_refused()
    {
        var error = Parse("environments:\n  prod:\n    url: postgresql://app@db/shop\n    tier: production\n  Prod:\n    url: postgresql://app@localhost/shop\n    tier: development\n");

        Assert.Equal("/srv/app/backstop.yaml:5:3: the environment names 'prod' and 'Prod' differ only in case; rename one of them", error.Message);
    }

    private static ConfigException Parse(string text) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, Path));
}
