namespace Backstop.Core.RecycleBin;

/// <summary>A table in the recycle bin: where it came from, where it is, and the foreign keys of other tables that pointed at it.</summary>
public sealed record TrashItem(string TrashId, Guid ChangeId, string OriginalSchema, string OriginalName, string TrashName, long RowEstimate, DateTimeOffset DroppedAt)
{
    /// <summary>"table", or "schema" for a whole schema kept under <see cref="TrashName"/>.</summary>
    public string Kind { get; init; } = "table";

    public bool IsSchema => Kind == "schema";

    /// <summary><see cref="RowEstimate"/> is the planner's estimate (a table over 32 MB); false when it was counted at drop time.</summary>
    public bool RowsEstimated { get; init; } = true;

    /// <summary>The original name as it would be written, quoted where it needs quotes.</summary>
    public string OriginalQualifiedName => IsSchema ? $"schema {Sql.IdentifierDisplay.Name(OriginalSchema)}" : Sql.IdentifierDisplay.Qualified(OriginalSchema, OriginalName);
}
