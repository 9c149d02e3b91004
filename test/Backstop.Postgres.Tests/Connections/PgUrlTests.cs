using Backstop.Postgres.Connections;
using Npgsql;

namespace Backstop.Postgres.Tests.Connections;

public sealed class PgUrlTests
{
    private const string Password = "hunter2";

    [Fact]
    public void Parse_full_url_reads_every_part()
    {
        var url = PgUrl.Parse($"postgresql://app:{Password}@db.example.com:6543/shop?sslmode=require");

        Assert.Equal("db.example.com", url.Host);
        Assert.Equal(6543, url.Port);
        Assert.Equal("shop", url.Database);
        Assert.Equal("app", url.User);
        Assert.True(url.HasPassword);
        Assert.Equal("db.example.com:6543", url.Endpoint);
    }

    [Fact]
    public void Parse_postgres_scheme_without_port_or_user_uses_the_defaults()
    {
        var url = PgUrl.Parse("postgres://db.example.com/shop");

        Assert.Equal("db.example.com", url.Host);
        Assert.Equal(5432, url.Port);
        Assert.Equal("shop", url.Database);
        Assert.Null(url.User);
        Assert.False(url.HasPassword);
    }

    [Theory]
    [InlineData("postgresql://app@db.example.com", "app")]
    [InlineData("postgresql://db.example.com", "postgres")]
    public void Parse_without_database_uses_the_user_name_else_postgres(string text, string database)
    {
        Assert.Equal(database, PgUrl.Parse(text).Database);
    }

    [Fact]
    public void Parse_ipv6_host_in_brackets_with_port()
    {
        var url = PgUrl.Parse("postgresql://app@[2001:db8::1]:5433/shop");

        Assert.Equal("2001:db8::1", url.Host);
        Assert.Equal(5433, url.Port);
        Assert.Equal("postgresql://app@[2001:db8::1]:5433/shop", url.ToString());
    }

    [Fact]
    public void Parse_ipv6_host_in_brackets_without_port_uses_5432()
    {
        var url = PgUrl.Parse("postgresql://[::1]/shop");

        Assert.Equal("::1", url.Host);
        Assert.Equal(5432, url.Port);
    }

    [Fact]
    public void Parse_percent_encoded_user_and_password_are_decoded()
    {
        var url = PgUrl.Parse("postgresql://ops%40acme:p%40ss%3Aw%2Frd@db.example.com/shop");

        Assert.Equal("ops@acme", url.User);
        var builder = new NpgsqlConnectionStringBuilder(url.ToConnectionString());
        Assert.Equal("ops@acme", builder.Username);
        Assert.Equal("p@ss:w/rd", builder.Password);
    }

    [Fact]
    public void Parse_socket_directory_in_host_parameter()
    {
        var url = PgUrl.Parse("postgresql:///shop?host=/var/run/postgresql");

        Assert.Equal("/var/run/postgresql", url.Host);
        Assert.Equal(5432, url.Port);
        Assert.Equal("shop", url.Database);
        Assert.Equal("/var/run/postgresql (socket) port 5432", url.Endpoint);
        Assert.Equal("postgresql://:5432/shop?host=%2Fvar%2Frun%2Fpostgresql", url.ToString());
    }

    [Fact]
    public void Parse_query_parameters_override_the_authority()
    {
        var url = PgUrl.Parse("postgresql://app@db.example.com/shop?dbname=other&user=admin&port=6000");

        Assert.Equal("other", url.Database);
        Assert.Equal("admin", url.User);
        Assert.Equal(6000, url.Port);
    }

    [Theory]
    [InlineData("mysql://app:hunter2@db.example.com/shop")]
    [InlineData("app:hunter2@db.example.com/shop")]
    [InlineData("")]
    public void Parse_other_scheme_is_refused_without_showing_the_password(string text)
    {
        var error = Assert.Throws<FormatException>(() => PgUrl.Parse(text));

        Assert.Equal("a connection URL must start with postgresql:// (for example postgresql://app@db.example.com:5432/app)", error.Message);
    }

    [Theory]
    [InlineData("99999")]
    [InlineData("0")]
    [InlineData("54x2")]
    [InlineData("-1")]
    public void Parse_invalid_port_is_refused_without_showing_the_password(string port)
    {
        var error = Assert.Throws<FormatException>(() => PgUrl.Parse($"postgresql://app:{Password}@db.example.com:{port}/shop"));

        Assert.Equal($"the port '{port}' in the connection URL is not a number between 1 and 65535", error.Message);
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_unsupported_parameter_is_refused_without_showing_the_password()
    {
        var error = Assert.Throws<FormatException>(() => PgUrl.Parse($"postgresql://app:{Password}@db.example.com/shop?sslmod=require"));

        Assert.StartsWith("the connection URL parameter 'sslmod' is not supported; supported: application_name, connect_timeout, dbname,", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://app:hunter2/x@db.example.com/shop", "hunter2/x")]
    [InlineData("postgresql://app:1234?hunter2@db.example.com/shop", "1234?hunter2")]
    [InlineData("postgresql://app:hunter2?x@db.example.com/shop", "hunter2?x")]
    public void Parse_password_with_unencoded_delimiter_is_the_password_and_never_shown(string text, string password)
    {
        var url = PgUrl.Parse(text);

        Assert.Equal("db.example.com", url.Host);
        Assert.Equal("shop", url.Database);
        Assert.Equal("app", url.User);
        Assert.Contains("Password=" + password, url.ToConnectionString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, url.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_masks_the_password()
    {
        var url = PgUrl.Parse($"postgresql://app:{Password}@db.example.com:6543/shop?sslmode=require");

        Assert.Equal("postgresql://app:****@db.example.com:6543/shop?sslmode=require", url.ToString());
    }

    [Fact]
    public void ToString_password_given_as_a_parameter_is_not_shown()
    {
        var url = PgUrl.Parse($"postgresql://app@db.example.com/shop?password={Password}");

        Assert.True(url.HasPassword);
        Assert.Equal("postgresql://app:****@db.example.com:5432/shop", url.ToString());
    }

    [Fact]
    public void ToConnectionString_carries_the_password_and_disables_pooling()
    {
        var url = PgUrl.Parse($"postgresql://app:{Password}@db.example.com:6543/shop?sslmode=require&application_name=ignored");

        var builder = new NpgsqlConnectionStringBuilder(url.ToConnectionString("backstop-test"));

        Assert.Equal(Password, builder.Password);
        Assert.False(builder.Pooling);
        Assert.Equal("db.example.com", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("shop", builder.Database);
        Assert.Equal("app", builder.Username);
        Assert.Equal(SslMode.Require, builder.SslMode);
    }

    [Fact]
    public void ToConnectionString_default_application_name_is_backstop()
    {
        var builder = new NpgsqlConnectionStringBuilder(PgUrl.Parse("postgresql://db.example.com/shop").ToConnectionString());

        Assert.Equal("backstop", builder.ApplicationName);
        Assert.Null(builder.Password);
    }

    [Fact]
    public void WithDatabase_keeps_server_and_credentials()
    {
        var url = PgUrl.Parse($"postgresql://app:{Password}@db.example.com:6543/shop").WithDatabase("postgres");

        var builder = new NpgsqlConnectionStringBuilder(url.ToConnectionString());
        Assert.Equal("postgres", builder.Database);
        Assert.Equal(Password, builder.Password);
        Assert.Equal("postgresql://app:****@db.example.com:6543/postgres", url.ToString());
    }
}
