using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// One WAL record as pg_waldump prints it: its resource manager (<c>Heap</c>, <c>Transaction</c>, …), the transaction
/// that wrote it (0 for records outside a transaction: checkpoints, pruning, in-place catalog updates), where it starts,
/// its description (the record type first: <c>INSERT+INIT off 1 flags 0x00</c>, <c>COMMIT 2026-… UTC; subxacts: 727</c>)
/// and the blocks it changes (docs: "pg_waldump"; rmgrdesc/*.c for the descriptions).
/// </summary>
public sealed record WalRecord(string ResourceManager, uint TransactionId, NpgsqlLogSequenceNumber Lsn, string Description, IReadOnlyList<WalBlockReference> Blocks)
{
    /// <summary>The record type, the first word of the description: <c>INSERT+INIT</c>, <c>HOT_UPDATE</c>, <c>COMMIT</c>, <c>DROP</c>.</summary>
    public string Type => Description.IndexOf(' ', StringComparison.Ordinal) is var space and >= 0 ? Description[..space] : Description;

    /// <summary>Whether any block the record changes belongs to one of <paramref name="relations"/>.</summary>
    public bool Touches(IReadOnlySet<RelFileLocator> relations) => Blocks.Any(b => relations.Contains(b.Relation));
}
