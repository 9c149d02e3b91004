using System.Globalization;
using Backstop.Core.Configuration;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.State;

/// <summary>
/// The tables of the state file that hold changes, and their version in <c>PRAGMA user_version</c>
/// (https://www.sqlite.org/pragma.html#pragma_user_version). Version 0 is a new file, or one written before versions
/// were recorded (a <c>changes</c> table with the whole script in each row); version 1 keeps each script once, by
/// SHA-256, in <c>scripts</c>. The backup catalog's tables (<c>backups</c>, <c>drills</c>) live in the same file and
/// take care of themselves.
/// </summary>
internal static class StateSchema
{
    public const int Version = 1;

    /// <summary>
    /// <c>head</c> (the first <see cref="HeadCharacters"/> characters) and <c>size_bytes</c> come before <c>text</c>, so a
    /// query that reads them stops before the pages of a large script: SQLite reads a row's payload only as far as the
    /// columns asked for (https://www.sqlite.org/fileformat2.html#record_format).
    /// </summary>
    private const string Scripts = """
        CREATE TABLE scripts (
            sha256 TEXT PRIMARY KEY,
            size_bytes INTEGER NOT NULL,
            head TEXT NOT NULL,
            text TEXT NOT NULL
        );
        """;

    private const string Changes = """
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            environment TEXT NOT NULL,
            system_identifier TEXT NOT NULL,
            database TEXT NOT NULL,
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            script_sha256 TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reasons TEXT NOT NULL,
            impact TEXT NOT NULL,
            os_user TEXT NOT NULL,
            started_at TEXT NOT NULL,
            duration_ms INTEGER,
            outcome TEXT NOT NULL,
            message TEXT,
            change_uuid TEXT,
            undo_of INTEGER
        );
        """;

    private const string Indexes = """
        CREATE INDEX IF NOT EXISTS changes_environment ON changes (environment, id);
        CREATE INDEX IF NOT EXISTS changes_change_uuid ON changes (change_uuid);
        """;

    /// <summary>The first characters of a script, kept beside it for <c>show</c> and <c>changes</c>: 64 KiB of text.</summary>
    public const int HeadCharacters = 65_536;

    /// <summary>Brings the file to <see cref="Version"/>; a no-op, without a write, when it is there already.</summary>
    /// <exception cref="ConfigException">the file was written by a newer Backstop.</exception>
    public static async Task EnsureAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        if (await UserVersionAsync(connection, cancellationToken) is var found && found == Version)
        {
            return;
        }

        Refuse(found, path);

        // BEGIN IMMEDIATE: two commands that open an old file at once migrate it one after the other, and the second
        // finds the version the first one wrote.
        await ExecuteAsync(connection, "BEGIN IMMEDIATE", cancellationToken);
        try
        {
            var version = await UserVersionAsync(connection, cancellationToken);
            Refuse(version, path);
            if (version < Version)
            {
                await MigrateAsync(connection, cancellationToken);
            }

            await ExecuteAsync(connection, "COMMIT", cancellationToken);
        }
        catch (Exception e) when (e is SqliteException or OperationCanceledException)
        {
            // SQLite may have rolled back already (it does on some errors); closing the connection would too.
            try
            {
                await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None);
            }
            catch (SqliteException)
            {
            }

            throw;
        }
    }

    private static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var columns = await ColumnsAsync(connection, "changes", cancellationToken);
        if (columns.Count == 0)
        {
            await ExecuteAsync(connection, Scripts + Changes, cancellationToken);
        }
        else
        {
            // Files of the first versions lack these columns; add them before anything reads them.
            foreach (var (column, type) in new[] { ("change_uuid", "TEXT"), ("undo_of", "INTEGER") })
            {
                if (!columns.Contains(column))
                {
                    await ExecuteAsync(connection, $"ALTER TABLE changes ADD COLUMN {column} {type}", cancellationToken);
                }
            }

            if ((await ColumnsAsync(connection, "scripts", cancellationToken)).Count == 0)
            {
                await ExecuteAsync(connection, Scripts, cancellationToken);
            }

            if (columns.Contains("script"))
            {
                // Each script once, by the SHA-256 recorded with it; then the copies in the change rows go.
                await ExecuteAsync(connection, $"""
                    INSERT INTO scripts (sha256, size_bytes, head, text)
                    SELECT script_sha256, length(CAST(script AS BLOB)), substr(script, 1, {HeadCharacters.ToString(CultureInfo.InvariantCulture)}), script
                    FROM changes
                    WHERE true
                    ORDER BY id
                    ON CONFLICT (sha256) DO NOTHING;
                    ALTER TABLE changes DROP COLUMN script;
                    """, cancellationToken);
            }
        }

        await ExecuteAsync(connection, Indexes + $"PRAGMA user_version = {Version.ToString(CultureInfo.InvariantCulture)};", cancellationToken);
    }

    private static void Refuse(long version, string path)
    {
        if (version > Version)
        {
            throw new ConfigException(
                $"the state file {path} was written by a newer Backstop (its schema version is {version}; this Backstop knows versions up to {Version}); " +
                "nothing was read or changed. Upgrade Backstop to use it, or move the file away to start a new record");
        }
    }

    private static async Task<long> UserVersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new SqliteCommand("PRAGMA user_version", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<HashSet<string>> ColumnsAsync(SqliteConnection connection, string table, CancellationToken cancellationToken)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new SqliteCommand("SELECT name FROM pragma_table_info($table)", connection);
        command.Parameters.AddWithValue("$table", table);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
