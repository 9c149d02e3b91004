using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Finds the newest <c>DROP DATABASE</c> of a database (by OID) and the location to recover to just before it began
/// (<see cref="DroppedDatabase"/>). Reading backwards, it stops at the drop once it holds every record of the dropping
/// transaction and the in-place update before it, or, without a drop, at WAL older than <c>since</c>.
/// </summary>
/// <param name="marksInvalid">the server is PostgreSQL 15.4+ (or 16+), whose DROP DATABASE first marks the database invalid in place.</param>
internal sealed class DropDatabaseScan(uint database, DateTimeOffset? since, bool marksInvalid) : IWalScan
{
    /// <summary>pg_database, a shared catalog: tablespace pg_global, database 0, file node 1262 (it is never rewritten).</summary>
    private static readonly RelFileLocator PgDatabase = new(RelFileLocator.GlobalTablespace, 0, 1262);

    private readonly Dictionary<uint, WalTransactionEnd> _ends = [];
    private readonly Dictionary<uint, NpgsqlLogSequenceNumber> _firstRecords = [];
    private readonly Dictionary<uint, NpgsqlLogSequenceNumber> _lastWrites = [];
    private readonly Dictionary<uint, (NpgsqlLogSequenceNumber Lsn, uint Block, int? Offset)> _catalogDeletes = [];
    private readonly List<(NpgsqlLogSequenceNumber Lsn, uint Block, int? Offset)> _inPlace = [];
    private readonly FirstRecordBound _bound = new();
    private NpgsqlLogSequenceNumber _chunkStart;
    private (WalRecord Record, IReadOnlyList<uint> Tablespaces, NpgsqlLogSequenceNumber Chunk)? _drop;
    private bool _pastSince;
    private int _chunksPastBound;

    public void BeginChunk(NpgsqlLogSequenceNumber start) => _chunkStart = start;

    public void Read(WalRecord record)
    {
        _bound.Read(record);
        if (WalDumpParser.TryParseEnd(record, out var end))
        {
            _ends[end.TransactionId] = end;
            _pastSince |= since is { } s && end.Time < s;
        }

        if (record.TransactionId != 0)
        {
            if (!_firstRecords.TryGetValue(record.TransactionId, out var first) || record.Lsn < first)
            {
                _firstRecords[record.TransactionId] = record.Lsn;
            }

            if (record.Blocks.Any(b => b.Relation.Database == database) && (!_lastWrites.TryGetValue(record.TransactionId, out var last) || record.Lsn > last))
            {
                _lastWrites[record.TransactionId] = record.Lsn;
            }
        }

        if (WalDumpParser.TryParseDatabaseDrop(record, out var dropped, out var tablespaces) && dropped == database)
        {
            // The newest drop wins: chunks come newest first, records within a chunk in order.
            if (_drop is not { } found || found.Chunk == _chunkStart)
            {
                _drop = (record, tablespaces, _chunkStart);
            }
        }
        else if (record.ResourceManager == "Heap" && record.Blocks.Count > 0 && record.Blocks[0].Relation == PgDatabase)
        {
            if (record.Type == "INPLACE")
            {
                _inPlace.Add((record.Lsn, record.Blocks[0].Block, WalDumpParser.Offset(record)));
            }
            else if (record.Type == "DELETE" && record.TransactionId != 0)
            {
                _catalogDeletes[record.TransactionId] = (record.Lsn, record.Blocks[0].Block, WalDumpParser.Offset(record));
            }
        }
    }

    public bool WantsOlder()
    {
        if (_drop is not { } drop)
        {
            return !_pastSince;
        }

        var transaction = drop.Record.TransactionId;
        if (since is { } earliest && _ends.GetValueOrDefault(transaction) is { } end && end.Time < earliest)
        {
            // The newest drop is older than what was asked for, and any older one would be too.
            return false;
        }

        if (!_bound.HoldsAllOf(transaction, _chunkStart))
        {
            return true;
        }

        // The mark is written just before the row's delete; one more chunk is more than enough to hold it.
        return marksInvalid && InvalidMark(transaction) is null && _chunksPastBound++ == 0;
    }

    public DroppedDatabase? Result()
    {
        if (_drop is not { } drop)
        {
            return null;
        }

        var transaction = drop.Record.TransactionId;
        var end = _ends.GetValueOrDefault(transaction);
        if (since is { } earliest && end is not null && end.Time < earliest)
        {
            return null;
        }

        var first = _firstRecords.TryGetValue(transaction, out var f) ? f : drop.Record.Lsn;
        var invalid = InvalidMark(transaction);
        var recovery = invalid is { } mark && mark < first ? mark : first;

        // The last commit of a transaction (or of the top-level one of a subtransaction) that wrote into the database.
        var parents = _ends.Values.SelectMany(e => e.Subtransactions.Select(s => (Sub: s, Top: e))).ToDictionary(p => p.Sub, p => p.Top);
        var lastCommit = _lastWrites.Keys.Where(x => x != transaction)
            .Select(x => _ends.GetValueOrDefault(x) ?? parents.GetValueOrDefault(x))
            .Where(e => e is { Committed: true })
            .MaxBy(e => e!.Record.Lsn);
        return new DroppedDatabase
        {
            DatabaseOid = database,
            Tablespaces = drop.Tablespaces,
            DropLsn = drop.Record.Lsn,
            TransactionId = transaction,
            CommitLsn = end is { Committed: true } ? end.Record.Lsn : null,
            CommitTime = end is { Committed: true } ? end.Time : null,
            MarkedInvalidLsn = invalid,
            RecoveryLsn = recovery,
            LastCommitLsn = lastCommit?.Record.Lsn,
            LastCommitTime = lastCommit?.Time,
            LastCommitTransactionId = lastCommit?.TransactionId,
        };
    }

    /// <summary>
    /// The in-place update of the database's pg_database row that marked it invalid: the last one on the same row (block
    /// and line pointer) before the dropping transaction deleted that row. Earlier in-place updates of the row (VACUUM
    /// setting datfrozenxid) are older; the mark is written just before the delete.
    /// </summary>
    private NpgsqlLogSequenceNumber? InvalidMark(uint transaction)
    {
        if (!_catalogDeletes.TryGetValue(transaction, out var delete))
        {
            return null;
        }

        var mark = _inPlace.Where(p => p.Lsn < delete.Lsn && p.Block == delete.Block && p.Offset == delete.Offset).Select(p => (NpgsqlLogSequenceNumber?)p.Lsn).Max();
        return marksInvalid ? mark : null;
    }
}
