namespace Backstop.Core.Capture;

/// <summary>A table a change captured: where its images are, how rows are matched, and how many of each were captured.</summary>
internal sealed record CapturedTable(uint RelationId, string Schema, string Name, string ImageTable, IReadOnlyList<string> KeyColumns)
{
    /// <summary>A partitioned table: a row moved between partitions counts as an insert and a delete in the statistics, but as an update in capture.</summary>
    public bool IsPartitioned { get; init; }

    /// <summary>False: <see cref="KeyColumns"/> are all the columns, and rows are matched by value.</summary>
    public bool HasPrimaryKey { get; init; }

    /// <summary>The table (or one of its partitions) has a BEFORE UPDATE row trigger, which may change a row's key.</summary>
    public bool RowTriggersMayMoveKeys { get; init; }

    public long Inserted { get; init; }

    public long Updated { get; init; }

    public long Deleted { get; init; }

    public string QualifiedName => $"{Schema}.{Name}";
}
