using Backstop.Testing;
using Backstop.Testing.Clients;
using Npgsql;

namespace Backstop.Proxy.Tests.Clients;

/// <summary>
/// The real-client harnesses (pgjdbc and node-postgres, test/clients/) against PostgreSQL 15 itself, no proxy: what
/// they report is what the server did, so the proxy's acceptance tests can trust them. The role signs in with a SCRAM
/// password (its own pg_hba line in the shared sandbox, which otherwise trusts local connections).
/// </summary>
public sealed class ClientHarnessTests(ClientHarnessTests.Database database) : IClassFixture<ClientHarnessTests.Database>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Clients => ["pgjdbc", "node-postgres"];

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Signs_in_with_its_password_reads_rows_and_counts_a_parameterised_update(string name)
    {
        var client = Client(name);
        var table = await database.TableAsync("items", "id int PRIMARY KEY, name text", "(1, 'one'), (2, 'two')");

        var results = await client.RunAsync(database.Connection, [
            ClientStep.Query("SELECT current_user, id, name FROM " + table + " ORDER BY id"),
            ClientStep.Update($"UPDATE {table} SET name = {client.Parameter(1)} WHERE id = {client.Parameter(2)}", ["renamed", 2]),
            ClientStep.Query($"SELECT name FROM {table} WHERE id = 2"),
        ], Timeout);

        Assert.True(results[0].Ok, results[0].ToString());
        Assert.Equal(["current_user", "id", "name"], results[0].Columns);
        Assert.Equal([[database.Role, "1", "one"], [database.Role, "2", "two"]], results[0].Rows);
        Assert.Equal(1, results[1].UpdateCount);
        Assert.Equal("renamed", results[2].Scalar);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Parameters_of_each_kind_and_values_round_trip_as_text(string name)
    {
        var client = Client(name);
        var p = client.Parameter;

        var results = await client.RunAsync(database.Connection, [
            ClientStep.Query($"SELECT {p(1)}::int, {p(2)}::bigint, {p(3)}::text, {p(4)}::boolean, {p(5)}::text IS NULL, {p(6)}::numeric, NULL AS nothing", [42, 5_000_000_000L, "é 😀 \"quoted\"\n\\", true, null, 1.5m]),
        ], Timeout);

        Assert.True(results[0].Ok, results[0].ToString());
        Assert.Equal([["42", "5000000000", "é 😀 \"quoted\"\n\\", "t", "t", "1.5", null]], results[0].Rows);
        Assert.Equal("nothing", results[0].Columns![^1]);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Missing_table_gives_42P01_and_the_same_connection_goes_on(string name)
    {
        var results = await Client(name).RunAsync(database.Connection, [
            ClientStep.Query("SELECT pg_backend_pid()"),
            ClientStep.Query("SELECT * FROM no_such_table"),
            ClientStep.Query("SELECT pg_backend_pid()"),
        ], Timeout);

        Assert.False(results[1].Ok);
        Assert.Equal("42P01", results[1].SqlState);
        Assert.Equal("relation \"no_such_table\" does not exist", results[1].Message);
        Assert.Equal(results[0].Scalar, results[2].Scalar);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Errors_bring_the_servers_detail_and_hint(string name)
    {
        var client = Client(name);
        var table = await database.TableAsync("keys", "id int PRIMARY KEY");

        var results = await client.RunAsync(database.Connection, [
            ClientStep.Update($"INSERT INTO {table} VALUES ({client.Parameter(1)})", [1]),
            ClientStep.Update($"INSERT INTO {table} VALUES ({client.Parameter(1)})", [1]),
            ClientStep.Query("SELECT no_such_function(1)"),
        ], Timeout);

        Assert.Equal(1, results[0].UpdateCount);
        Assert.Equal(("23505", "Key (id)=(1) already exists."), (results[1].SqlState, results[1].Detail));
        Assert.StartsWith("duplicate key value violates unique constraint", results[1].Message, StringComparison.Ordinal);
        Assert.Equal("42883", results[2].SqlState);
        Assert.StartsWith("No function matches the given name and argument types.", results[2].Hint, StringComparison.Ordinal);
        Assert.Null(results[2].Detail);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Error_in_a_transaction_gives_25P02_until_rollback_then_work_goes_on(string name)
    {
        var client = Client(name);
        var table = await database.TableAsync("tx", "id int");
        var insert = ClientStep.Update($"INSERT INTO {table} VALUES ({client.Parameter(1)})", [1]);

        var results = await client.RunAsync(database.Connection, [
            ClientStep.Begin(),
            insert,
            ClientStep.Query("SELECT 1 / 0"),
            ClientStep.Query("SELECT 1"),
            ClientStep.Rollback(),
            ClientStep.Autocommit(),
            ClientStep.Query($"SELECT count(*) FROM {table}"),
            ClientStep.Begin(),
            insert,
            ClientStep.Commit(),
            ClientStep.Autocommit(),
            ClientStep.Query($"SELECT count(*) FROM {table}"),
        ], Timeout);

        Assert.True(results[0].Ok && results[1].Ok, $"{results[0]}; {results[1]}");
        Assert.Equal("22012", results[2].SqlState);
        Assert.Equal("25P02", results[3].SqlState);
        Assert.True(results[4].Ok && results[5].Ok, $"{results[4]}; {results[5]}");
        Assert.Equal("0", results[6].Scalar);
        Assert.True(results[9].Ok, results[9].ToString());
        Assert.Equal("1", results[11].Scalar);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Cancel_gives_57014_and_the_connection_goes_on(string name)
    {
        var started = DateTime.UtcNow;

        var results = await Client(name).RunAsync(database.Connection, [
            ClientStep.CancelAfter("SELECT pg_sleep(30)", TimeSpan.FromMilliseconds(300)),
            ClientStep.Query("SELECT 1"),
        ], Timeout);

        Assert.Equal("57014", results[0].SqlState);
        Assert.Equal("canceling statement due to user request", results[0].Message);
        Assert.Equal("1", results[1].Scalar);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the sleep was not cut short");
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Notices_come_with_the_step_that_raised_them(string name)
    {
        var results = await Client(name).RunAsync(database.Connection, [
            ClientStep.Execute("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$"),
            ClientStep.Execute("SELECT 1"),
        ], Timeout);

        Assert.Equal(["hello from the server"], results[0].Notices);
        Assert.Equal(0, results[0].UpdateCount);
        Assert.Empty(results[1].Notices);
        Assert.Equal("1", results[1].Scalar);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Wrong_password_is_refused_with_28P01(string name)
    {
        var error = await Assert.ThrowsAsync<ClientConnectException>(() =>
            Client(name).RunAsync(database.Connection with { Password = "not the password" }, [ClientStep.Query("SELECT 1")], Timeout));

        Assert.Equal("28P01", error.Error.SqlState);
        Assert.Equal($"password authentication failed for user \"{database.Role}\"", error.Error.Message);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Requiring_TLS_of_a_server_without_it_is_refused(string name)
    {
        var error = await Assert.ThrowsAsync<ClientConnectException>(() =>
            Client(name).RunAsync(database.Connection with { RequireTls = true }, [ClientStep.Query("SELECT 1")], Timeout));

        Assert.Contains("does not support SSL", error.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task A_run_past_its_timeout_is_killed_with_a_clear_error(string name)
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Client(name).RunAsync(database.Connection, [ClientStep.Query("SELECT 1"), ClientStep.Query("SELECT pg_sleep(5)")], TimeSpan.FromSeconds(3)));

        // On a loaded machine the JVM may not even have answered the first step in 3 s; either way the run is named,
        // with what was answered.
        Assert.Matches(
            $@"^{System.Text.RegularExpressions.Regex.Escape(name)} did not finish its 2 steps within 00:00:03 \((0 answered: |1 answered: ok columns \[\?column\?\] rows \[\[1\]\])\)",
            error.Message);
    }

    [Fact]
    public void A_parameter_of_another_kind_is_refused_before_any_client_runs() =>
        Assert.Throws<ArgumentException>(() => ClientStep.Query("SELECT ?", [DateTime.UnixEpoch]).ToJson());

    internal static IClientHarness Client(string name) => name switch
    {
        "pgjdbc" => JdbcClient.Instance,
        "node-postgres" => NodeClient.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such client"),
    };

    /// <summary>A database of the shared sandbox owned by a login role with a SCRAM password that it must give.</summary>
    public sealed class Database : IAsyncLifetime
    {
        private const string Password = "client harness pässword";

        private string connectionString = "";

        public string Role { get; } = "client_" + Guid.NewGuid().ToString("N")[..10];

        internal ClientConnection Connection { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            connectionString = await PostgresSandbox.CreateDatabaseAsync("clients");
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            await PostgresSandbox.ExecuteAsync(connectionString, $"CREATE ROLE {Role} LOGIN PASSWORD '{Password}'; ALTER DATABASE {builder.Database} OWNER TO {Role}; ALTER SCHEMA public OWNER TO {Role}");
            Assert.StartsWith("SCRAM-SHA-256$", await PostgresSandbox.TextAsync(connectionString, $"SELECT rolpassword FROM pg_authid WHERE rolname = '{Role}'"), StringComparison.Ordinal);
            await RequirePasswordAsync(builder);
            Connection = new ClientConnection(builder.Host!, builder.Port, builder.Database!, Role, Password);
            await Task.WhenAll(JdbcClient.Instance.PrepareAsync(), NodeClient.Instance.PrepareAsync());
        }

        public Task DisposeAsync() => Task.CompletedTask;

        /// <summary>A new table owned by the role, with <paramref name="rows"/> (a VALUES list) in it; its name.</summary>
        public async Task<string> TableAsync(string prefix, string columns, string? rows = null)
        {
            var table = prefix + "_" + Guid.NewGuid().ToString("N")[..8];
            await PostgresSandbox.ExecuteAsync(connectionString, $"CREATE TABLE {table} ({columns}); ALTER TABLE {table} OWNER TO {Role}" + (rows is null ? "" : $"; INSERT INTO {table} VALUES {rows}"));
            return table;
        }

        /// <summary>
        /// Puts a scram-sha-256 line for the role (and it alone) before the sandbox's trust lines, reloads, and waits
        /// until the server asks for the password.
        /// </summary>
        private async Task RequirePasswordAsync(NpgsqlConnectionStringBuilder builder)
        {
            var cluster = await PostgresSandbox.GetAsync();
            var hba = Path.Combine(cluster.Info.DataDirectory, "pg_hba.conf");
            var lines = await File.ReadAllTextAsync(hba);
            await File.WriteAllTextAsync(hba, $"host all {Role} 127.0.0.1/32 scram-sha-256\nhost all {Role} ::1/128 scram-sha-256\n{lines}");
            await PostgresSandbox.ExecuteAsync(connectionString, "SELECT pg_reload_conf()");

            var wrong = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Username = Role, Password = "wrong" }.ConnectionString;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
            {
                try
                {
                    await using var connection = new NpgsqlConnection(wrong);
                    await connection.OpenAsync();
                }
                catch (PostgresException e) when (e.SqlState == "28P01")
                {
                    return;
                }

                Assert.True(DateTime.UtcNow < deadline, "the server still lets the role in without its password after reloading pg_hba.conf");
            }
        }
    }
}
