using System.Diagnostics;
using System.Globalization;
using Backstop.Postgres.Sandbox;
using Backstop.Postgres.Tools;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Reads an environment's WAL to answer questions about what happened: which transactions wrote some tables, where a
/// database was dropped. Segments come from the pgBackRest archive (<c>pgbackrest archive-get</c>, as the cluster's
/// owner) or, for those not archived yet, from the cluster's pg_wal, into a temporary directory; the server's own
/// <c>pg_waldump</c> decodes them (<see cref="WalDumpParser"/>). The WAL is read backwards from the server's flush
/// location at <see cref="OpenAsync"/>, a few segments at a time, until the question is answered. One timeline: the
/// server's current one.
/// </summary>
public sealed class WalHistory
{
    private const int MaxSegmentsPerRead = 8;

    private readonly PitrStanza _stanza;
    private readonly IProgress<string>? _progress;

    private WalHistory(PitrStanza stanza, string waldump, uint timeline, ulong segmentSize, NpgsqlLogSequenceNumber end, int serverVersion, IProgress<string>? progress)
    {
        _stanza = stanza;
        WalDump = waldump;
        Timeline = timeline;
        SegmentSize = segmentSize;
        End = end;
        ServerVersion = serverVersion;
        _progress = progress;
    }

    /// <summary>The server's insert location when opened (flushed since): nothing after it is read.</summary>
    public NpgsqlLogSequenceNumber End { get; }

    public uint Timeline { get; }

    public ulong SegmentSize { get; }

    /// <summary><c>server_version_num</c>, e.g. 150018.</summary>
    public int ServerVersion { get; }

    public string WalDump { get; }

    /// <summary>The WAL the last question was answered from; null before the first.</summary>
    public WalSearch? Searched { get; private set; }

    /// <summary>
    /// Opens the WAL of <paramref name="stanza"/>'s cluster, through a connection to any of its databases (the
    /// environment's own may be gone): the flush location, timeline, segment size and version come from the server.
    /// </summary>
    public static async Task<WalHistory> OpenAsync(PitrStanza stanza, NpgsqlConnection server, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        NpgsqlLogSequenceNumber end;
        string segment;
        long segmentSize;
        int version;
        await using (var command = new NpgsqlCommand(
            """
            SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() THEN pg_current_wal_insert_lsn() END,
                   CASE WHEN NOT pg_is_in_recovery() THEN pg_walfile_name(pg_current_wal_insert_lsn()) END,
                   (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'), current_setting('server_version_num')::int
            """,
            server))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            if (reader.GetBoolean(0))
            {
                throw new PitrException($"the server of environment '{stanza.Environment.Name}' is in recovery (a standby); read the WAL of its primary");
            }

            end = reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
            segment = reader.GetString(2);
            segmentSize = reader.GetInt64(3);
            version = reader.GetInt32(4);
        }

        await WaitForFlushAsync(server, end, cancellationToken);
        var waldump = PgBinaries.ForMajorVersion((version / 10000).ToString(CultureInfo.InvariantCulture)).Path("pg_waldump");
        if (!File.Exists(waldump))
        {
            throw new PitrException($"pg_waldump was not found at {waldump}; it comes with the PostgreSQL server programs (apt-get install postgresql-{version / 10000})");
        }

        var timeline = uint.Parse(segment.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return new WalHistory(stanza, waldump, timeline, (ulong)segmentSize, end, version, progress);
    }

    /// <summary>
    /// WAL is read from disk: wait until what was inserted when opened is flushed (the WAL writer does it within
    /// wal_writer_delay when commits do not, as with synchronous_commit off).
    /// </summary>
    private static async Task WaitForFlushAsync(NpgsqlConnection server, NpgsqlLogSequenceNumber inserted, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT pg_current_wal_flush_lsn()", server);
            if ((NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(cancellationToken))! >= inserted || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>
    /// Every transaction that wrote any of <paramref name="relations"/> (inserted, updated or deleted rows, or created or
    /// dropped one of their files) and ended, committed or aborted, between <paramref name="from"/> and
    /// <paramref name="to"/> (inclusive), in the order they ended. A subtransaction's records count toward the
    /// top-level transaction whose commit lists it.
    /// </summary>
    public async Task<IReadOnlyList<WalTransaction>> WritersAsync(IReadOnlyCollection<RelFileLocator> relations, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var scan = new WalWritersScan(relations.ToHashSet(), from, to);
        await ScanAsync(scan, cancellationToken);
        return scan.Result();
    }

    /// <summary>
    /// The newest <c>DROP DATABASE</c> of the database with OID <paramref name="databaseOid"/> (pg_database.oid, as
    /// environments record it) that committed at or after <paramref name="since"/> (null: as far back as the WAL
    /// goes); null when not found (<see cref="Searched"/> says what was read).
    /// </summary>
    public async Task<DroppedDatabase?> FindDropDatabaseAsync(uint databaseOid, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var scan = new DropDatabaseScan(databaseOid, since, DropMarksInvalid(ServerVersion));
        await ScanAsync(scan, cancellationToken);
        return scan.Result();
    }

    /// <summary>Whether DROP DATABASE marks the database invalid before removing it: PostgreSQL 16, and the 2023-08 minor releases of 11 to 15.</summary>
    public static bool DropMarksInvalid(int serverVersion) => (serverVersion / 10000) switch
    {
        >= 16 => true,
        15 => serverVersion >= 150004,
        14 => serverVersion >= 140009,
        13 => serverVersion >= 130012,
        12 => serverVersion >= 120016,
        11 => serverVersion >= 110021,
        _ => false,
    };

    /// <summary>The file name of the segment numbered <paramref name="segment"/> on this timeline (xlog_internal.h XLogFileName).</summary>
    public string SegmentName(ulong segment)
    {
        var perId = 0x1_0000_0000UL / SegmentSize;
        return string.Create(CultureInfo.InvariantCulture, $"{Timeline:X8}{segment / perId:X8}{segment % perId:X8}");
    }

    private NpgsqlLogSequenceNumber StartOf(ulong segment) => new(segment * SegmentSize);

    /// <summary>
    /// Hands <paramref name="scan"/> the WAL backwards, in chunks of consecutive segments (2, then 4, then 8). A record
    /// may continue into the next segment, so each chunk is decoded together with the segment after it, and the
    /// records that start there, already read with the newer chunk, are left out.
    /// </summary>
    private async Task ScanAsync(IWalScan scan, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("backstop-wal-").FullName;
        var observed = new WalSearchObserver();
        try
        {
            await _stanza.BackRest.Owner.HandOverAsync(directory, cancellationToken);
            var newest = ((ulong)End - 1) / SegmentSize;
            var high = newest;
            ulong? above = null;
            var size = 2;
            var reachedOldest = false;
            ulong oldestRead = newest;
            while (true)
            {
                ulong? low = null;
                for (var segment = high; ; segment--)
                {
                    if (!await FetchAsync(directory, segment, cancellationToken))
                    {
                        reachedOldest = true;
                        break;
                    }

                    low = segment;
                    if (segment == 0 || high - segment + 1 >= (ulong)size)
                    {
                        break;
                    }
                }

                if (low is not { } first)
                {
                    break;
                }

                // Records from the start of the chunk's segment after it on were read with the newer chunk.
                var stopBefore = above is null ? End : StartOf(high + 1);
                var end = above is null ? End : new NpgsqlLogSequenceNumber(Math.Min((ulong)StartOf(high + 2), (ulong)End));
                scan.BeginChunk(StartOf(first));
                await DumpAsync(directory, StartOf(first), end, stopBefore, scan, observed, cancellationToken);
                for (var segment = first + 1; segment <= high + (above is null ? 0UL : 1UL); segment++)
                {
                    File.Delete(Path.Combine(directory, SegmentName(segment)));
                }

                above = first;
                oldestRead = first;
                if (reachedOldest || first == 0 || !scan.WantsOlder())
                {
                    break;
                }

                high = first - 1;
                size = Math.Min(size * 2, MaxSegmentsPerRead);
            }

            Searched = new WalSearch
            {
                FirstSegment = SegmentName(oldestRead),
                LastSegment = SegmentName(newest),
                From = StartOf(oldestRead),
                To = End,
                Segments = (int)(newest - oldestRead + 1),
                EarliestCommit = observed.EarliestCommit,
                LatestCommit = observed.LatestCommit,
                ReachedOldest = reachedOldest,
            };
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A segment from the archive, else from pg_wal (not archived yet); false when neither holds it.</summary>
    private async Task<bool> FetchAsync(string directory, ulong segment, CancellationToken cancellationToken)
    {
        var name = SegmentName(segment);
        var destination = Path.Combine(directory, name);
        var fetched = await _stanza.BackRest.ArchiveGetAsync(name, destination, cancellationToken);
        if (fetched.Succeeded && File.Exists(destination))
        {
            _progress?.Report($"read WAL segment {name} from the archive");
            return true;
        }

        var local = Path.Combine(_stanza.Layout.DataDirectory, "pg_wal", name);
        if (!File.Exists(local))
        {
            return false;
        }

        File.Copy(local, destination);
        _progress?.Report($"read WAL segment {name} from pg_wal (not archived yet)");
        return true;
    }

    /// <summary>
    /// The resource managers whose records the scans read (rows, commits and aborts, files created, databases dropped,
    /// the snapshots and checkpoints that bound a transaction's first record). The rest, index records above all (an
    /// UPDATE of a million rows writes as many B-tree records as heap records), pg_waldump leaves out: a third less
    /// text to parse for such an UPDATE. pg_waldump takes --rmgr more than once from PostgreSQL 15 on; before, it reads everything.
    /// </summary>
    private static readonly string[] ResourceManagers = ["XLOG", "Transaction", "Storage", "Database", "Standby", "Heap2", "Heap"];

    /// <summary>Runs pg_waldump over [start, end) and hands each record before <paramref name="stopBefore"/> to the scan.</summary>
    private async Task DumpAsync(string directory, NpgsqlLogSequenceNumber start, NpgsqlLogSequenceNumber end, NpgsqlLogSequenceNumber stopBefore, IWalScan scan, WalSearchObserver observed, CancellationToken cancellationToken)
    {
        // As the current user: it reads copies of the segments. Commit times are printed in pg_waldump's local time zone,
        // named by its abbreviation: make it UTC.
        var result = await ClientTool.RunStreamingAsync(
            WalDump,
            [$"--path={directory}", $"--timeline={Timeline.ToString(CultureInfo.InvariantCulture)}", $"--start={start}", $"--end={end}", .. ServerVersion >= 150000 ? ResourceManagers.Select(r => $"--rmgr={r}") : []],
            new Dictionary<string, string>(StringComparer.Ordinal) { ["TZ"] = "UTC", ["LC_ALL"] = "C" },
            line =>
            {
                if (WalDumpParser.TryParse(line, out var record) && record.Lsn < stopBefore)
                {
                    observed.Read(record);
                    scan.Read(record);
                }
            },
            cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new PitrException($"pg_waldump could not read the WAL of environment '{_stanza.Environment.Name}' from {start} to {end}: {result.ErrorSummary(3)}");
        }
    }

    private sealed class WalSearchObserver
    {
        public DateTimeOffset? EarliestCommit { get; private set; }

        public DateTimeOffset? LatestCommit { get; private set; }

        public void Read(WalRecord record)
        {
            if (WalDumpParser.TryParseEnd(record, out var end))
            {
                EarliestCommit = EarliestCommit is { } e && e < end.Time ? e : end.Time;
                LatestCommit = LatestCommit is { } l && l > end.Time ? l : end.Time;
            }
        }
    }
}
