using Npgsql;

namespace Backstop.Postgres.Connections;

/// <summary>
/// What a failure that came from PostgreSQL looks like, for callers above this project that map failures to exit
/// codes without referencing Npgsql themselves (the CLI holds no database code, DESIGN.md "Architecture").
/// </summary>
public static class PgErrors
{
    /// <summary>
    /// The server refused a statement (a <c>PostgresException</c>, with its SQLSTATE) or the connection to it failed:
    /// a runtime error that changed nothing, never a bug of ours.
    /// </summary>
    public static bool IsFromDatabase(Exception exception) => exception is NpgsqlException;
}
