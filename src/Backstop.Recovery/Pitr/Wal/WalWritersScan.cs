using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Finds the transactions that wrote given relations and ended (committed or aborted) within a time range. Reading
/// backwards, it needs every commit record from the range's start on, and then every record of each transaction that
/// ended in the range, which may have begun long before it (<see cref="FirstRecordBound"/>).
/// </summary>
internal sealed class WalWritersScan(IReadOnlySet<RelFileLocator> relations, DateTimeOffset from, DateTimeOffset to) : IWalScan
{
    /// <summary>
    /// A commit's time is taken before its record is inserted, so commit records are not quite in time order: older WAL
    /// can still hold a commit up to this much later than one already seen.
    /// </summary>
    private static readonly TimeSpan CommitOrderSlack = TimeSpan.FromSeconds(2);

    private readonly Dictionary<uint, WalTransactionEnd> _ends = [];
    private readonly Dictionary<uint, List<(NpgsqlLogSequenceNumber Lsn, RelFileLocator Relation)>> _writes = [];
    private readonly FirstRecordBound _bound = new();
    private NpgsqlLogSequenceNumber _chunkStart;
    private DateTimeOffset? _oldestEnd;

    public void BeginChunk(NpgsqlLogSequenceNumber start) => _chunkStart = start;

    public void Read(WalRecord record)
    {
        _bound.Read(record);
        if (WalDumpParser.TryParseEnd(record, out var end))
        {
            _ends[end.TransactionId] = end;
            _oldestEnd = _oldestEnd is { } oldest && oldest < end.Time ? oldest : end.Time;
            foreach (var dropped in end.DroppedRelations.Where(relations.Contains))
            {
                Add(end.TransactionId, record.Lsn, dropped);
            }

            return;
        }

        if (record.TransactionId == 0)
        {
            return;
        }

        if (IsRowWrite(record) && record.Blocks.FirstOrDefault(b => relations.Contains(b.Relation)) is { } block)
        {
            Add(record.TransactionId, record.Lsn, block.Relation);
        }
        else if (record.ResourceManager == "Storage" && record.Type == "CREATE"
                 && RelFileLocator.TryParsePath(record.Description["CREATE".Length..].Trim(), out var created) && relations.Contains(created))
        {
            Add(record.TransactionId, record.Lsn, created);
        }
    }

    public bool WantsOlder()
    {
        if (_oldestEnd is not { } oldest || oldest >= from - CommitOrderSlack)
        {
            return true;
        }

        var ended = InRange().Select(e => e.TransactionId).ToList();
        return ended.Count > 0 && !_bound.HoldsAllOf(TransactionIds.Earliest(ended), _chunkStart);
    }

    /// <summary>The transactions that ended in the range and wrote the relations, in the order they ended.</summary>
    public IReadOnlyList<WalTransaction> Result()
    {
        var result = new List<WalTransaction>();
        foreach (var end in InRange().OrderBy(e => e.Record.Lsn))
        {
            var family = end.Subtransactions.Prepend(end.TransactionId).ToList();
            var writes = family.SelectMany(x => _writes.TryGetValue(x, out var w) ? w : []).OrderBy(w => w.Lsn).ToList();
            if (writes.Count == 0)
            {
                continue;
            }

            result.Add(new WalTransaction(end.TransactionId, writes[0].Lsn, writes[^1].Lsn, end.Record.Lsn, end.Time, writes.Count)
            {
                Committed = end.Committed,
                Subtransactions = family.Skip(1).Where(_writes.ContainsKey).ToList(),
                RecordsByRelation = writes.GroupBy(w => w.Relation).ToDictionary(g => g.Key, g => (long)g.Count()),
            });
        }

        return result;
    }

    /// <summary>
    /// Records that insert, update or delete rows (heapdesc.c): each changes one relation, an update's old and new
    /// versions may be in two blocks of it. Pruning, freezing, visibility and in-place catalog updates change no row.
    /// </summary>
    private static bool IsRowWrite(WalRecord record) => record.ResourceManager switch
    {
        "Heap" => record.Type is "INSERT" or "INSERT+INIT" or "UPDATE" or "UPDATE+INIT" or "HOT_UPDATE" or "HOT_UPDATE+INIT" or "DELETE",
        "Heap2" => record.Type is "MULTI_INSERT" or "MULTI_INSERT+INIT",
        _ => false,
    };

    private IEnumerable<WalTransactionEnd> InRange() => _ends.Values.Where(e => e.Time >= from && e.Time <= to);

    private void Add(uint transaction, NpgsqlLogSequenceNumber lsn, RelFileLocator relation)
    {
        if (!_writes.TryGetValue(transaction, out var list))
        {
            _writes[transaction] = list = [];
        }

        list.Add((lsn, relation));
    }
}
