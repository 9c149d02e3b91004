using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.State;

/// <summary>
/// Several Backstop commands share one state file. Each connection waits for a lock on its own (<c>busy_timeout</c>);
/// what still comes back as SQLITE_BUSY (5) or SQLITE_LOCKED (6) — a write lock held past that wait, a WAL recovery
/// or checkpoint in another process — is retried here with a growing, jittered pause, for up to <see cref="Patience"/>.
/// See https://www.sqlite.org/rescode.html#busy and https://www.sqlite.org/wal.html#sometimes_queries_return_sqlite_busy_in_wal_mode.
/// </summary>
internal static class SqliteBusy
{
    /// <summary>How long one statement lets SQLite wait for a lock before it answers SQLITE_BUSY.</summary>
    public const int BusyTimeoutMilliseconds = 5_000;

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private const int Busy = 5;
    private const int Locked = 6;

    public static bool IsBusy(SqliteException e) => e.SqliteErrorCode is Busy or Locked;

    /// <exception cref="IOException">the file stayed locked for longer than <see cref="Patience"/>.</exception>
    public static async Task<T> RetryAsync<T>(string path, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        for (var round = 0; ; round++)
        {
            try
            {
                return await attempt(cancellationToken);
            }
            catch (SqliteException e) when (IsBusy(e) && watch.Elapsed < Patience)
            {
                var pause = Math.Min(1_000, 25 << Math.Min(round, 6)) * (0.5 + Random.Shared.NextDouble());
                await Task.Delay(TimeSpan.FromMilliseconds(pause), cancellationToken);
            }
            catch (SqliteException e) when (IsBusy(e))
            {
                throw new IOException(
                    $"the state file {path} stayed locked by other Backstop commands for {Patience.TotalSeconds:0} s ({e.Message}); run the command again once they finish", e);
            }
        }
    }
}
