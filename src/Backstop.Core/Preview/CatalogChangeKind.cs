namespace Backstop.Core.Preview;

/// <summary>What the catalog comparison found changed about a table that existed before the statement.</summary>
internal enum CatalogChangeKind
{
    Dropped,
    NewFileNode,
    ColumnDropped,
    ColumnWritten,
}
