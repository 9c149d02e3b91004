using Backstop.Testing;
using Npgsql;

namespace Backstop.Postgres.Tests;

/// <summary>
/// What the server makes of <see cref="PgIdentifier.Quote(string)"/>: the exact name, whatever it holds (reserved
/// words, case, quotes, dots, spaces, SQL punctuation, non-ASCII letters), and the same relation PostgreSQL's own
/// quote_ident names.
/// </summary>
public sealed class PgIdentifierRoundTripTests : IAsyncLifetime
{
    public static TheoryData<string> Names =>
    [
        "orders",
        "Orders",
        "select",
        "user",
        "with space",
        "say \"hi\"",
        "\"\"",
        "dot.ted",
        "it's",
        "semi; DROP TABLE orders; --",
        "$1",
        "Ünïcødé_表",
        "elephant 🐘",
        new string('x', 63),
    ];

    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await PostgresSandbox.CreateDatabaseAsync("ident");
        await PostgresSandbox.ExecuteAsync(_database, "CREATE SCHEMA \"Tenant \"\"A\"\"\"");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Quote_creates_a_table_the_catalog_lists_under_the_exact_name(string name)
    {
        await using var connection = await OpenAsync();
        await ExecuteAsync(connection, $"CREATE TABLE {PgIdentifier.Quote("Tenant \"A\"", name)} (id int); INSERT INTO {PgIdentifier.Quote("Tenant \"A\"", name)} VALUES (7)");

        await using var find = new NpgsqlCommand(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @schema AND c.relname = @name", connection);
        find.Parameters.AddWithValue("schema", "Tenant \"A\"");
        find.Parameters.AddWithValue("name", name);
        Assert.Equal(1L, await find.ExecuteScalarAsync());
        await using var read = new NpgsqlCommand($"SELECT id FROM {PgIdentifier.Quote("Tenant \"A\"", name)}", connection);
        Assert.Equal(7, await read.ExecuteScalarAsync());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Quote_reads_back_as_the_name_through_parse_ident(string name)
    {
        await using var connection = await OpenAsync();
        await using var parse = new NpgsqlCommand("SELECT parse_ident(@quoted)", connection);
        parse.Parameters.AddWithValue("quoted", PgIdentifier.Quote("Tenant \"A\"", name));

        Assert.Equal(["Tenant \"A\"", name], (string[])(await parse.ExecuteScalarAsync())!);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Quote_names_the_same_relation_as_quote_ident_and_is_equal_to_it_where_quote_ident_quotes(string name)
    {
        await using var connection = await OpenAsync();
        var table = "rt_" + name;
        await ExecuteAsync(connection, $"CREATE TABLE {PgIdentifier.Quote(table)} (id int)");

        await using var compare = new NpgsqlCommand("SELECT quote_ident(@name), to_regclass(quote_ident(@name)) = to_regclass(@ours)", connection);
        compare.Parameters.AddWithValue("name", table);
        compare.Parameters.AddWithValue("ours", PgIdentifier.Quote(table));
        await using var reader = await compare.ExecuteReaderAsync();
        await reader.ReadAsync();
        var theirs = reader.GetString(0);

        Assert.True(reader.GetBoolean(1));
        Assert.Equal(theirs.StartsWith('"') ? theirs : "\"" + theirs + "\"", PgIdentifier.Quote(table));
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
