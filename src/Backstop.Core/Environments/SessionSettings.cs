using Npgsql;

namespace Backstop.Core.Environments;

/// <summary>
/// The settings under which the server reads a statement's text the way Backstop's lexer does:
/// <c>standard_conforming_strings = on</c> (a backslash in <c>'…'</c> is an ordinary character) and <c>client_encoding = UTF8</c>
/// (the bytes Npgsql sends). Set for the session when it opens, whatever the database's, role's or server's default, and again
/// before every statement of a script, so that a function that turned them off cannot change how the next statement is read.
/// A script that changes them itself is refused before anything runs (ScriptAnalyzer).
/// </summary>
internal static class SessionSettings
{
    private const string SessionSql = "SET standard_conforming_strings = on";
    private const string StandardConformingStrings = "SET LOCAL standard_conforming_strings = on";
    private const string ClientEncoding = "SET LOCAL client_encoding = 'UTF8'";

    /// <summary>
    /// A session-level SET after the connection opens outranks every default (postgresql.conf, ALTER DATABASE/ROLE … SET;
    /// docs: "Setting Parameters"), and unlike a startup option it passes through connection poolers.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SessionSql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Adds, to a batch inside a transaction, the SET LOCALs that put the settings back before the batch's next command is parsed
    /// (the server parses each command of a batch only when it reaches it). They return no rows.
    /// </summary>
    public static void AddTo(NpgsqlBatch batch)
    {
        batch.BatchCommands.Add(new NpgsqlBatchCommand(StandardConformingStrings));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(ClientEncoding));
    }
}
