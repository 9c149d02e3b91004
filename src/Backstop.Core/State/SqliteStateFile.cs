using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.State;

/// <summary>
/// The state in a SQLite file (<c>.backstop/state.db</c>), shared by the change record and the backup catalog:
/// created on first use, brought to this Backstop's version by <see cref="StateSchema"/>, and opened the same way for
/// both. Several commands may use the file at once: it is in WAL mode (readers and the writer do not block each other),
/// every write is one BEGIN IMMEDIATE transaction, and locks are waited for and retried (<see cref="SqliteBusy"/>).
/// </summary>
public sealed class SqliteStateFile
{
    private readonly string _connectionString;

    private SqliteStateFile(string path)
    {
        Path = path;
        // Pooled: opening the file anew for every read and write (its WAL index mapped, its schema read) took three
        // milliseconds of every statement a person's proxy session kept (docs/benchmarks.md); a pooled connection
        // comes back with the pragmas OpenConnectionAsync sets again.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
    }

    public string Path { get; }

    /// <param name="notice">told when a file of an earlier version was migrated (a line for the user).</param>
    /// <exception cref="Configuration.ConfigException">the file was written by a newer Backstop.</exception>
    public static async Task<SqliteStateFile> OpenAsync(string path, Action<string>? notice, CancellationToken cancellationToken)
    {
        // Scripts can hold secrets (ALTER ROLE … PASSWORD): the store is for its owner's eyes only.
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var file = new SqliteStateFile(path);
        var (from, hadTables) = await SqliteBusy.RetryAsync(path, async ct =>
        {
            await using var connection = await file.OpenConnectionAsync(ct);

            // WAL is a property of the file (it stays set), so this is a no-op read after the first time; the -wal and
            // -shm files SQLite creates take the database file's permissions.
            await using (var wal = new SqliteCommand("PRAGMA journal_mode = WAL", connection))
            {
                await wal.ExecuteScalarAsync(ct);
            }

            return await StateSchema.EnsureAsync(connection, path, ct);
        }, cancellationToken);
        if (hadTables && from != StateSchema.Version)
        {
            notice?.Invoke($"migrated the state file {path} from version {from} to {StateSchema.Version}");
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return file;
    }

    /// <summary>Reads on a connection of its own, retried while the file is locked.</summary>
    public Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        SqliteBusy.RetryAsync(Path, async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct);
            return await work(connection, ct);
        }, cancellationToken);

    /// <summary>One write transaction, begun IMMEDIATE: the write lock is taken (and waited for) before anything is read.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        SqliteBusy.RetryAsync(Path, async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using (var begin = new SqliteCommand("BEGIN IMMEDIATE", connection))
            {
                await begin.ExecuteNonQueryAsync(ct);
            }

            // Closing the connection without COMMIT rolls the transaction back.
            var result = await work(connection, ct);
            await using (var commit = new SqliteCommand("COMMIT", connection))
            {
                await commit.ExecuteNonQueryAsync(ct);
            }

            return result;
        }, cancellationToken);

    /// <summary>A connection with the pragmas every one gets; for a reader that streams past the end of one call.</summary>
    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);

            // busy_timeout: wait for another connection's lock instead of failing at once. journal_size_limit: after a
            // checkpoint, cut the WAL file back to 64 MiB, so that one large script does not leave a WAL file of its size.
            await using var pragmas = new SqliteCommand(
                $"PRAGMA busy_timeout = {SqliteBusy.BusyTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture)}; PRAGMA journal_size_limit = 67108864", connection);
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
