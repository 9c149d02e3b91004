namespace Backstop.Recovery.Pitr.Wal;

/// <summary>A block a WAL record changes (<c>blkref #0: rel 1663/16384/16385 fork fsm blk 0 FPW</c>); the main fork unless <see cref="Fork"/> says otherwise.</summary>
public sealed record WalBlockReference(RelFileLocator Relation, string Fork, uint Block, bool FullPageImage);
