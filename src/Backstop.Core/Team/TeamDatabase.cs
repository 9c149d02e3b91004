using System.Data.Common;
using Backstop.Core.State;

namespace Backstop.Core.Team;

/// <summary>
/// The state store as <see cref="TeamStore"/> uses it: the same queries on a SQLite file and on a PostgreSQL database
/// (times are Unix milliseconds and flags integers in both; see migration 0003), told apart only by where the tables
/// live.
/// </summary>
public sealed class TeamDatabase
{
    private readonly Func<Func<DbConnection, CancellationToken, Task<object?>>, CancellationToken, Task<object?>> _read;
    private readonly Func<Func<DbConnection, CancellationToken, Task<object?>>, CancellationToken, Task<object?>> _write;

    private TeamDatabase(
        string prefix,
        Func<Func<DbConnection, CancellationToken, Task<object?>>, CancellationToken, Task<object?>> read,
        Func<Func<DbConnection, CancellationToken, Task<object?>>, CancellationToken, Task<object?>> write)
    {
        Prefix = prefix;
        _read = read;
        _write = write;
    }

    /// <summary>What goes before a table's name: the schema in PostgreSQL, nothing in SQLite.</summary>
    public string Prefix { get; }

    public static TeamDatabase Of(SqliteStateFile file) =>
        new("", (work, ct) => file.ReadAsync<object?>((c, t) => work(c, t), ct), (work, ct) => file.WriteAsync<object?>((c, t) => work(c, t), ct));

    public static TeamDatabase Of(PostgresStateDatabase database) =>
        new(StateSchema.PostgresSchema + ".", (work, ct) => database.ReadAsync<object?>((c, t) => work(c, t), ct), (work, ct) => database.WriteAsync<object?>((c, t) => work(c, t), ct));

    /// <summary>Opens the state where <paramref name="location"/> says, migrated to this Backstop's version.</summary>
    public static async Task<TeamDatabase> OpenAsync(StateLocation location, Action<string>? notice, CancellationToken cancellationToken) =>
        location.Url is { } url
            ? Of(await PostgresStateDatabase.OpenAsync(url, notice, cancellationToken))
            : Of(await SqliteStateFile.OpenAsync(location.FilePath!, notice, cancellationToken));

    public async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        (T)(await _read(async (c, t) => await work(c, t), cancellationToken))!;

    /// <summary>One transaction: it commits if <paramref name="work"/> returns.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        (T)(await _write(async (c, t) => await work(c, t), cancellationToken))!;

    /// <summary>A command with <c>@name</c> parameters (both providers accept them); null values are sent as NULL.</summary>
    public static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public static long Millis(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static DateTimeOffset At(object value) => DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));

    public static DateTimeOffset? AtOrNull(object value) => value is DBNull ? null : At(value);
}
