using Backstop.Testing;
using Npgsql;

namespace Backstop.Postgres.Tests.Connections;

/// <summary>
/// What Backstop relies on from Npgsql and the protocol to send a script's statement as exactly the one statement it judged:
/// a batch command is sent unsplit as one Parse message, and the server refuses a Parse that holds two statements.
/// An NpgsqlCommand without parameters, by contrast, is split by Npgsql's own reading of the text.
/// </summary>
public sealed class StatementSendingTests
{
    private const string Hidden = "SELECT 'a\\', ' ; DELETE FROM victim; --'";

    [Fact]
    public async Task BatchCommand_holding_two_statements_is_refused_by_the_server_and_runs_neither()
    {
        var database = await VictimDatabaseAsync();
        await using var connection = await OpenWithStandardConformingStringsOffAsync(database);

        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(Hidden) } };
        var error = await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());

        Assert.Equal("42601", error.SqlState);
        Assert.Equal("cannot insert multiple commands into a prepared statement", error.MessageText);
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM victim"));
    }

    [Fact]
    public async Task Command_without_parameters_is_split_by_npgsql_so_backstop_never_sends_a_script_statement_that_way()
    {
        var database = await VictimDatabaseAsync();
        await using var connection = await OpenWithStandardConformingStringsOffAsync(database);

        await using var command = new NpgsqlCommand(Hidden, connection);
        await command.ExecuteNonQueryAsync();

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM victim"));
    }

    private static async Task<string> VictimDatabaseAsync()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("send");
        await PostgresSandbox.ExecuteAsync(database, "CREATE TABLE victim (id int); INSERT INTO victim VALUES (1), (2), (3)");
        return database;
    }

    private static async Task<NpgsqlConnection> OpenWithStandardConformingStringsOffAsync(string database)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Options = "-c standard_conforming_strings=off", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
