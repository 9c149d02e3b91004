using Backstop.Core.State;
using Backstop.Postgres.Connections;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.State;

/// <summary>State stores for tests: each a new one, in a SQLite file under a directory or in a new database of the sandbox.</summary>
internal static class TestStores
{
    public const string Sqlite = "sqlite";

    public const string Postgresql = "postgresql";

    /// <summary>The kind of store the suite runs with (<see cref="TestState"/>).</summary>
    public static string Default => TestState.InPostgres ? Postgresql : Sqlite;

    /// <summary>Where a new store of <paramref name="kind"/> is: <c>state.db</c> in <paramref name="directory"/>, or a new database.</summary>
    public static async Task<StateLocation> CreateAsync(string kind, string directory) => kind switch
    {
        Sqlite => StateLocation.File(Path.Combine(directory, StateLocation.FileName)),
        Postgresql => StateLocation.Postgres(PgUrl.Parse(await TestState.CreateDatabaseAsync())),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "sqlite or postgresql"),
    };

    public static async Task<IStateStore> OpenAsync(string kind, string directory) =>
        await StateStores.OpenAsync(await CreateAsync(kind, directory), null, CancellationToken.None);

    /// <summary>How many rows a table of the store holds.</summary>
    public static async Task<long> CountAsync(StateLocation location, string table) =>
        Convert.ToInt64(await ExecuteAsync(location, $"SELECT count(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs SQL on the store behind its back (as another program, or a newer Backstop, would); its tables unqualified.</summary>
    public static async Task<object?> ExecuteAsync(StateLocation location, string sql)
    {
        if (location.Url is { } url)
        {
            var builder = new NpgsqlConnectionStringBuilder(url.ToConnectionString()) { SearchPath = StateSchema.PostgresSchema };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return await command.ExecuteScalarAsync();
        }

        await using var file = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location.FilePath};Pooling=false");
        await file.OpenAsync();
        await using var statement = new Microsoft.Data.Sqlite.SqliteCommand(sql, file);
        return await statement.ExecuteScalarAsync();
    }
}
