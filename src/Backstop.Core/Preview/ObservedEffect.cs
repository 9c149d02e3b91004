using System.Globalization;

namespace Backstop.Core.Preview;

/// <summary>
/// One thing a statement destroyed, as the catalog showed it around the statement (docs/architecture.md, "Effects,
/// not syntax"): which table or column, and how many rows or values it held.
/// </summary>
public sealed record ObservedEffect
{
    public required EffectKind Kind { get; init; }

    /// <summary>The table's OID: the same in the preview and the run, which keeps the table before the statement runs.</summary>
    public required uint RelationId { get; init; }

    public required string Schema { get; init; }

    public required string Name { get; init; }

    /// <summary>For column effects: the column's name before the statement.</summary>
    public string? Column { get; init; }

    /// <summary>For column effects: its attnum, which a dropped column keeps while its name is replaced.</summary>
    public short ColumnNumber { get; init; }

    /// <summary>For column effects: its format_type text before the statement.</summary>
    public string? ColumnType { get; init; }

    /// <summary>Rows the table held (truncated, dropped) or non-null values the column held (dropped, rewritten).</summary>
    public long Count { get; init; }

    /// <summary>The object whose drop took this column with it (e.g. "type public.mood"), when it was not the table itself.</summary>
    public string? Cause { get; init; }

    public string QualifiedName => $"{Schema}.{Name}";

    /// <summary>Whether the effect destroys rows or values (a rewrite that keeps every row does not).</summary>
    public bool Destroys => Kind != EffectKind.RewrittenTable;

    /// <summary>
    /// Whether Backstop can keep what the effect destroys, so that undo or the recycle bin can bring it back: a column's
    /// values are kept by primary key, so a column of a table without one cannot be.
    /// </summary>
    public bool Keepable { get; init; } = true;

    /// <summary>For <see cref="EffectKind.RemovedLargeObjects"/>: their OIDs.</summary>
    public IReadOnlyList<uint> LargeObjects { get; init; } = [];

    /// <summary>Equal when every field is, the large objects' OIDs compared one by one (as read back from the state store, say).</summary>
    public bool Equals(ObservedEffect? other) =>
        other is not null && Kind == other.Kind && RelationId == other.RelationId && Schema == other.Schema && Name == other.Name
        && Column == other.Column && ColumnNumber == other.ColumnNumber && ColumnType == other.ColumnType && Count == other.Count
        && Cause == other.Cause && Keepable == other.Keepable && LargeObjects.SequenceEqual(other.LargeObjects);

    public override int GetHashCode() => HashCode.Combine(Kind, RelationId, Schema, Name, Column, ColumnNumber, Count);

    /// <summary>In words a user knows: "truncated public.t: 5,000 rows".</summary>
    public string Describe()
    {
        var count = Count.ToString("N0", CultureInfo.InvariantCulture);
        var rows = Count == 1 ? "row" : "rows";
        var values = Count == 1 ? "value" : "values";
        return Kind switch
        {
            EffectKind.Truncated => $"truncated {QualifiedName}: {count} {rows}",
            EffectKind.DroppedTable => $"dropped table {QualifiedName}: {count} {rows}",
            EffectKind.DroppedColumn when Cause is { } cause => $"{cause} dropped, taking column {Column} of {QualifiedName}: {count} {values}",
            EffectKind.DroppedColumn => $"column {Column} of {QualifiedName} dropped: {count} {values}",
            EffectKind.RewrittenTable => $"rewrote {QualifiedName} under an ACCESS EXCLUSIVE lock ({count} {rows}, all kept)",
            EffectKind.RemovedLargeObjects => $"removed {count} large object{(Count == 1 ? "" : "s")} ({string.Join(", ", LargeObjects.Take(5))}{(LargeObjects.Count > 5 ? ", …" : "")})",
            _ => $"column {Column} of {QualifiedName} rewritten: {count} {values}",
        };
    }
}
