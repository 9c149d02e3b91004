namespace Backstop.Core.Undo;

/// <summary>A captured table as undo sees it today: where it is, its image table, and its columns.</summary>
internal sealed record UndoTable(
    uint RelationId,
    string Schema,
    string Name,
    string ImageTable,
    IReadOnlyList<string> KeyColumns,
    IReadOnlyList<string> InsertableColumns,
    IReadOnlyList<string> UpdatableColumns,
    bool HasPrimaryKey)
{
    public string QualifiedName => $"{Schema}.{Name}";
}
