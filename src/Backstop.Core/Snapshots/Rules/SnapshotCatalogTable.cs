namespace Backstop.Core.Snapshots.Rules;

/// <summary>A user table as the live catalog has it: its columns in order, and which of them are keys.</summary>
/// <param name="KeyColumns">Columns of its primary key or of one of its foreign keys (the rules command suggests keep for them).</param>
public sealed record SnapshotCatalogTable(string Schema, string Table, IReadOnlyList<SnapshotColumn> Columns, IReadOnlySet<string> KeyColumns)
{
    public string QualifiedName => $"{Schema}.{Table}";
}
