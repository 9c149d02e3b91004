using Backstop.Postgres.Connections;
using Backstop.Postgres.Tools;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Postgres.Tests.Connections;

/// <summary>
/// One URL, two ways in: Npgsql through <see cref="PgUrl.ToConnectionString"/>, PostgreSQL's programs through
/// <see cref="PgUrl.ToLibpqEnvironment"/>. Both must reach the same database, as the same user, with the same session options.
/// </summary>
public sealed class PgUrlSessionTests : IAsyncLifetime
{
    private const string Probe = "SELECT current_database() || ' ' || current_user || ' ' || current_setting('search_path')";

    private PgUrl _url = null!;

    public async Task InitializeAsync()
    {
        var database = new NpgsqlConnectionStringBuilder(await PostgresSandbox.CreateDatabaseAsync("url_session")).Database!;
        var cluster = await PostgresSandbox.GetAsync();
        _url = PgUrl.Parse($"postgresql://postgres@127.0.0.1:{cluster.Info.Port}/{database}?options=-c%20search_path%3Dtenant");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ToConnectionString_opens_a_session_in_the_database_with_the_options()
    {
        await using var connection = new NpgsqlConnection(_url.ToConnectionString("backstop-test"));
        await connection.OpenAsync();
        await using var probe = new NpgsqlCommand(Probe, connection);

        Assert.Equal($"{_url.Database} postgres tenant", await probe.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ToLibpqEnvironment_gives_psql_the_same_database_and_options()
    {
        var result = await ClientTool.RunAsync("psql", ["-XAtq", "-c", Probe], _url);

        Assert.True(result.Succeeded, result.ErrorSummary());
        Assert.Equal($"{_url.Database} postgres tenant", result.Output.Trim());
    }
}
