using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Postgres.Tools;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Postgres.Tests.Tools;

/// <summary>PostgreSQL's client programs, run the way backups and drills run them: reaching the server through the URL's libpq variables only.</summary>
public sealed class ClientToolTests : IAsyncLifetime
{
    private PgUrl _url = null!;

    public async Task InitializeAsync()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("client_tool");
        var cluster = await PostgresSandbox.GetAsync();
        _url = PgUrl.Parse(cluster.Url).WithDatabase(new NpgsqlConnectionStringBuilder(database).Database!);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task RunAsync_psql_reaches_the_database_the_url_names()
    {
        var result = await ClientTool.RunAsync("psql", ["-XAtq", "-c", "SELECT current_database() || ' ' || current_user"], _url);

        Assert.True(result.Succeeded, result.ErrorSummary());
        Assert.Equal($"{_url.Database} postgres", result.Output.Trim());
    }

    [Fact]
    public async Task RunAsync_failing_program_returns_its_exit_code_and_its_error_lines()
    {
        var lines = new List<string>();

        var result = await ClientTool.RunAsync("psql", ["-XAtq", "-v", "ON_ERROR_STOP=1", "-c", "SELECT * FROM no_such_table"], _url, lines.Add);

        Assert.False(result.Succeeded);
        Assert.Contains("relation \"no_such_table\" does not exist", result.ErrorSummary(), StringComparison.Ordinal);
        Assert.Contains(lines, line => line.Contains("no_such_table", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_program_that_is_not_installed_says_how_to_install_it()
    {
        var error = await Assert.ThrowsAsync<SandboxException>(() => ClientTool.RunAsync("pg_no_such_tool", [], _url));

        Assert.EndsWith("install PostgreSQL's client programs with `apt-get install postgresql-client-15`", error.Message, StringComparison.Ordinal);
    }
}
