namespace Backstop.Core.Preview;

/// <summary>A user table as the catalog comparison sees it: its relfilenode changes with every TRUNCATE and rewrite.</summary>
internal sealed record WatchedTable(uint Oid, uint FileNode, string Schema, string Name)
{
    /// <summary>For a partition, its partitioned table at the top of the tree.</summary>
    public uint? Root { get; init; }

    public string QualifiedName => $"{Schema}.{Name}";
}
