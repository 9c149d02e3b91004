namespace Backstop.Core.Preview;

/// <summary>The transaction's counters of the catalogs a destructive statement writes, and the next xid, at one moment.</summary>
internal sealed record CatalogCounters(long ClassWrites, long AttributeWrites, long LargeObjectDeletes, long NextXid)
{
    public bool Moved(CatalogCounters before) =>
        ClassWrites != before.ClassWrites || AttributeWrites != before.AttributeWrites || LargeObjectDeletes != before.LargeObjectDeletes;
}
