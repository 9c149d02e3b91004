using System.Globalization;
using Backstop.Core.Configuration;
using Backstop.Core.Migrations;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Backstop.Core.State;

/// <summary>
/// Every table of the state (changes, scripts, backups, drills; later approvals and the audit log) and its numbered
/// migrations, one list per kind of store, numbered alike: version N of a SQLite file and of a PostgreSQL database hold
/// the same things. A SQLite file keeps its version in <c>PRAGMA user_version</c>
/// (https://www.sqlite.org/pragma.html#pragma_user_version); a PostgreSQL database in
/// <c>backstop_state.schema_version</c>. Each migration runs in a transaction of its own; a store at a version above
/// this Backstop's is refused, untouched.
/// </summary>
public static class StateSchema
{
    /// <summary>The schema that holds the state in a PostgreSQL database.</summary>
    public const string PostgresSchema = "backstop_state";

    /// <summary>The first characters of a script, kept beside it for <c>show</c> and <c>changes</c>: 64 KiB of text.</summary>
    public const int HeadCharacters = 65_536;

    internal static readonly IReadOnlyList<Migration> Sqlite = MigrationScripts.Load("state-sqlite", first: 1);

    internal static readonly IReadOnlyList<Migration> Postgresql = MigrationScripts.Load("state-postgresql", first: 1);

    private static readonly PostgresMigrator PostgresMigrator = new(PostgresSchema, "backstop state schema", Postgresql, (_, _) => Task.FromResult(0));

    public static int Version => Sqlite[^1].Version;

    /// <summary>Brings a SQLite state file to <see cref="Version"/>; a read and nothing else when it is there already.</summary>
    /// <returns>the version found, and whether the file held anything before (a new file is created, not migrated).</returns>
    /// <exception cref="ConfigException">the file was written by a newer Backstop.</exception>
    internal static async Task<(long From, bool HadTables)> EnsureAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        var found = await UserVersionAsync(connection, cancellationToken);
        if (found == Version)
        {
            return (found, true);
        }

        Refuse(found, $"the state file {path}", "move the file away to start a new record");
        var hadTables = await ScalarAsync(connection, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", cancellationToken) > 0;
        foreach (var migration in Sqlite.Where(m => m.Version > found))
        {
            // BEGIN IMMEDIATE: two commands that open an old file at once migrate it one after the other, and the
            // second finds the version the first one wrote.
            await ExecuteAsync(connection, "BEGIN IMMEDIATE", cancellationToken);
            try
            {
                var version = await UserVersionAsync(connection, cancellationToken);
                Refuse(version, $"the state file {path}", "move the file away to start a new record");
                if (version < migration.Version)
                {
                    var unversioned = migration.Version == 1 && await ScalarAsync(connection, "SELECT count(*) FROM pragma_table_info('changes')", cancellationToken) > 0;
                    await ExecuteAsync(connection, unversioned ? await UnversionedChangesAsync(connection, cancellationToken) : migration.Sql, cancellationToken);
                    await ExecuteAsync(connection, $"PRAGMA user_version = {migration.Version.ToString(CultureInfo.InvariantCulture)}", cancellationToken);
                }

                await ExecuteAsync(connection, "COMMIT", cancellationToken);
            }
            catch (Exception e) when (e is SqliteException or ConfigException or OperationCanceledException)
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

        return (found, hadTables);
    }

    /// <summary>Brings a PostgreSQL state database to <see cref="Version"/>; a read and nothing else when it is there already.</summary>
    /// <param name="where">names the database in messages (its URL, password masked).</param>
    /// <returns>the version found and the version left.</returns>
    /// <exception cref="ConfigException">the database was migrated by a newer Backstop.</exception>
    internal static Task<(int From, int To)> EnsureAsync(NpgsqlConnection connection, string where, CancellationToken cancellationToken) =>
        PostgresMigrator.MigrateAsync(
            connection,
            found => TooNew(found, $"the state database {where} (schema {PostgresSchema})", "point state: at another database to start a new record"),
            alsoRecord: null,
            cancellationToken);

    private static void Refuse(long version, string what, string alternative)
    {
        if (version > Version)
        {
            throw TooNew(version, what, alternative);
        }
    }

    private static ConfigException TooNew(long version, string what, string alternative) => new(
        $"{what} was written by a newer Backstop (its schema version is {version}; this Backstop knows versions up to {Version}); " +
        $"nothing was read or changed. Upgrade Backstop to use it, or {alternative}");

    /// <summary>
    /// Migration 1 for a file of the releases before versions (a <c>changes</c> table, with the whole script in each
    /// row, and in the first ones without <c>change_uuid</c> and <c>undo_of</c>): the same shape, with the data kept.
    /// </summary>
    private static async Task<string> UnversionedChangesAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new SqliteCommand("SELECT name FROM pragma_table_info('changes')", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add(reader.GetString(0));
            }
        }

        var sql = new List<string>();
        foreach (var (column, type) in new[] { ("change_uuid", "TEXT"), ("undo_of", "INTEGER") })
        {
            if (!columns.Contains(column))
            {
                sql.Add($"ALTER TABLE changes ADD COLUMN {column} {type}");
            }
        }

        sql.Add(StatementOf(Sqlite[0], "CREATE TABLE scripts").Replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", StringComparison.Ordinal));
        if (columns.Contains("script"))
        {
            // Each script once, by the SHA-256 recorded with it; then the copies in the change rows go.
            sql.Add($"""
                INSERT INTO scripts (sha256, size_bytes, head, text)
                SELECT script_sha256, length(CAST(script AS BLOB)), substr(script, 1, {HeadCharacters.ToString(CultureInfo.InvariantCulture)}), script
                FROM changes
                WHERE true
                ORDER BY id
                ON CONFLICT (sha256) DO NOTHING
                """);
            sql.Add("ALTER TABLE changes DROP COLUMN script");
        }

        sql.Add("CREATE INDEX IF NOT EXISTS changes_environment ON changes (environment, id)");
        sql.Add("CREATE INDEX IF NOT EXISTS changes_change_uuid ON changes (change_uuid)");
        return string.Join(";\n", sql) + ";";
    }

    /// <summary>The statement of a migration that begins with <paramref name="start"/>, without its semicolon.</summary>
    private static string StatementOf(Migration migration, string start)
    {
        var at = migration.Sql.IndexOf(start, StringComparison.Ordinal);
        return migration.Sql[at..migration.Sql.IndexOf(';', at)];
    }

    private static async Task<long> UserVersionAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        await ScalarAsync(connection, "PRAGMA user_version", cancellationToken);

    private static async Task<long> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new SqliteCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
