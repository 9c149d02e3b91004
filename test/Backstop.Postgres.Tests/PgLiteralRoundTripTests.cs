using Backstop.Testing;
using Npgsql;

namespace Backstop.Postgres.Tests;

/// <summary>What the server reads from <see cref="PgLiteral.Quote"/>: the exact value, in the sessions Backstop opens.</summary>
public sealed class PgLiteralRoundTripTests : IAsyncLifetime
{
    public static TheoryData<string> Values =>
    [
        "",
        "it's",
        "''",
        "back\\slash",
        "\\'; DROP TABLE t; --",
        "$$dollar$$",
        "E'not an escape'",
        "line\nbreak\ttab\r",
        "/* not a comment */ -- nor this",
        "Ünïcødé 表 🐘",
    ];

    private string _database = "";

    public async Task InitializeAsync() => _database = await PostgresSandbox.CreateDatabaseAsync("literal");

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(Values))]
    public async Task Quote_reads_back_as_the_value(string value)
    {
        Assert.Equal(value, await SelectAsync(_database, value));
    }

    [Fact]
    public async Task Quote_relies_on_standard_conforming_strings_without_them_a_backslash_escapes()
    {
        // Why Backstop's sessions set standard_conforming_strings = on (SessionSettings) before quoting anything.
        var off = new NpgsqlConnectionStringBuilder(_database) { Options = "-c standard_conforming_strings=off -c escape_string_warning=off" }.ConnectionString;

        Assert.Equal("backslash", await SelectAsync(off, "back\\slash"));
    }

    private static async Task<string?> SelectAsync(string connectionString, string value)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // A batch command goes to the server unsplit: the server, not Npgsql, reads the literal.
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand($"SELECT {PgLiteral.Quote(value)}::text") } };
        return (string?)await batch.ExecuteScalarAsync();
    }
}
