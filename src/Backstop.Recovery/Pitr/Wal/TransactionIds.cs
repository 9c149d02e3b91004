namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Transaction ids are 32-bit counters that wrap around; which of two came first is decided modulo 2^32, as
/// PostgreSQL's TransactionIdPrecedes does for normal ids (access/transam/transam.c).
/// </summary>
internal static class TransactionIds
{
    public static bool Precedes(uint first, uint second) => unchecked((int)(first - second)) < 0;

    public static uint Earliest(IEnumerable<uint> ids) => ids.Aggregate((a, b) => Precedes(b, a) ? b : a);
}
