using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// A question asked of the WAL, read backwards from the newest record: <see cref="WalHistory"/> hands it chunks of
/// consecutive segments, newest chunk first, each chunk's records in order, and stops when it wants no older chunk.
/// </summary>
internal interface IWalScan
{
    void BeginChunk(NpgsqlLogSequenceNumber start);

    void Read(WalRecord record);

    /// <summary>After a chunk: whether the answer may still depend on older WAL.</summary>
    bool WantsOlder();
}
