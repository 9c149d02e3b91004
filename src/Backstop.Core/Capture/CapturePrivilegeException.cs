using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>The role lacks a privilege capture needs (exit 1); the message gives the GRANT that fixes it.</summary>
public sealed class CapturePrivilegeException(string message, Exception inner) : Exception(message, inner)
{
    internal static CapturePrivilegeException ForSchema(string role, string database, PostgresException error) => new(
        $"role {role} may not create the schema Backstop keeps before-images in ({error.MessageText}); nothing was changed. " +
        $"Have the database owner run: GRANT CREATE ON DATABASE {PgIdentifier.Quote(database)} TO {PgIdentifier.Quote(role)}; " +
        $"or create it once for this role: CREATE SCHEMA backstop AUTHORIZATION {PgIdentifier.Quote(role)};",
        error);

    internal static CapturePrivilegeException ForTable(string role, string table, PostgresException error) => new(
        $"role {role} may not create the capture trigger on {table} ({error.MessageText}); nothing was changed. " +
        $"Have the table's owner run: GRANT TRIGGER ON {table} TO {PgIdentifier.Quote(role)};",
        error);
}
