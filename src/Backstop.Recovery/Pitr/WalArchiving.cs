using System.Diagnostics;
using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Makes the archive reach past a recovery target. Recovery to a time stops at the first commit after it; if no such
/// commit has been archived, PostgreSQL 13+ refuses to finish ("recovery ended before configured recovery target
/// was reached"). So on the source: commit a transaction that has an id (a commit record after the target), switch
/// to a new WAL segment so that the one holding it is finished, and wait until pg_stat_archiver shows it archived
/// (docs: "System Administration Functions → pg_switch_wal", "The Cumulative Statistics System → pg_stat_archiver").
/// </summary>
public static class WalArchiving
{
    /// <summary>The WAL segment that holds the new commit, once archived.</summary>
    /// <exception cref="PitrException">the segment was not archived within <paramref name="timeout"/>.</exception>
    /// <exception cref="PostgresException">the role may not switch WAL (42501) or another SQL error.</exception>
    public static async Task<string> ArchivePastNowAsync(NpgsqlConnection source, PitrLayout layout, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using (var commit = new NpgsqlCommand("BEGIN; SELECT pg_current_xact_id(); COMMIT;", source))
        {
            await commit.ExecuteNonQueryAsync(cancellationToken);
        }

        // pg_switch_wal returns the end of the segment it finished, plus one; pg_walfile_name of that position names
        // the finished segment (at a segment boundary it names the preceding file).
        string segment;
        await using (var switchWal = new NpgsqlCommand("SELECT pg_walfile_name(pg_switch_wal())", source))
        {
            segment = (string)(await switchWal.ExecuteScalarAsync(cancellationToken))!;
        }

        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using var command = new NpgsqlCommand(
                "SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, ''), last_failed_time::text, failed_count FROM pg_stat_archiver", source);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var archived = reader.GetString(0);

            // WAL file names are fixed-width hex (timeline, log, segment), so they order as text.
            if (archived.Length == segment.Length && string.CompareOrdinal(archived, segment) >= 0)
            {
                return segment;
            }

            if (clock.Elapsed > timeout)
            {
                var failure = reader.GetString(1).Length > 0 ? $"; the last failure was {reader.GetString(1)} at {reader.GetString(2)} ({reader.GetInt64(3)} failures so far)" : "";
                throw new PitrException(
                    $"the source of environment '{layout.Environment}' did not archive WAL segment {segment} within {timeout.TotalSeconds:0} s (last archived: {(archived.Length == 0 ? "none" : archived)}{failure}), " +
                    $"so a clone could not reach the target; check the server's archive_command and pgBackRest's log in {layout.LogDirectory}");
            }

            await reader.DisposeAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }
}
