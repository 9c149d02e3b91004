using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Tells when WAL read backwards holds every record of a transaction. A RUNNING_XACTS record's nextXid is the first
/// transaction id not yet assigned when its snapshot was taken (standby.c LogStandbySnapshot), so a transaction at or
/// above it wrote nothing before. The snapshot is taken a moment before the record is inserted, and a transaction
/// assigned in between may write just before it: a snapshot that close to the start of the WAL read does not count.
/// </summary>
internal sealed class FirstRecordBound
{
    /// <summary>Far more WAL than can be written between a snapshot and its record.</summary>
    private const ulong Margin = 64 * 1024;

    private readonly List<(NpgsqlLogSequenceNumber Lsn, uint NextXid)> _snapshots = [];

    public void Read(WalRecord record)
    {
        if (WalDumpParser.TryParseNextXid(record, out var next))
        {
            _snapshots.Add((record.Lsn, next));
        }
    }

    /// <summary>Whether every record of <paramref name="transaction"/> lies after <paramref name="readFrom"/>, the start of the WAL read so far.</summary>
    public bool HoldsAllOf(uint transaction, NpgsqlLogSequenceNumber readFrom) =>
        _snapshots.Any(s => !TransactionIds.Precedes(transaction, s.NextXid) && (ulong)s.Lsn - (ulong)readFrom >= Margin);
}
