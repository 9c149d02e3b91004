namespace Backstop.Core.Undo;

/// <summary>
/// A captured table as undo sees it today: where it is, its image table, and its columns. <see cref="ImageColumns"/>
/// are the table's columns when it was captured; <see cref="RowComparable"/> says whether all their types have an
/// equality operator, so rows can be compared column by column instead of through jsonb.
/// </summary>
internal sealed record UndoTable(
    uint RelationId,
    string Schema,
    string Name,
    string ImageTable,
    IReadOnlyList<string> KeyColumns,
    IReadOnlyList<string> InsertableColumns,
    IReadOnlyList<string> UpdatableColumns,
    IReadOnlyList<string> ImageColumns,
    bool RowComparable)
{
    /// <summary>False: rows are matched by all their columns (<see cref="WholeRowUndoSql"/>).</summary>
    public bool HasPrimaryKey { get; init; } = true;

    /// <summary>The change wrote this table in one captured statement that moved no keys: every key has exactly one image.</summary>
    public bool SingleImagePerKey { get; init; }

    /// <summary>
    /// The image rows with columns backstop_op, backstop_seq and backstop_xmin (the image row's xmin), as a subquery: an
    /// image of one statement has no per-row marks (see backstop.image_marks), and gets that statement's here.
    /// </summary>
    public string ImageSource { get; init; } = "";

    /// <summary>What capture counted for this table.</summary>
    public (long Inserted, long Updated, long Deleted) Captured { get; init; }

    public string QualifiedName => $"{Schema}.{Name}";
}
