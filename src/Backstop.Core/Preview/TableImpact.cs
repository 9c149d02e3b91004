namespace Backstop.Core.Preview;

/// <summary>What one statement did to one table, cascades and triggers included.</summary>
public sealed record TableImpact
{
    public required string Schema { get; init; }

    public required string Name { get; init; }

    public long Inserted { get; init; }

    public long Updated { get; init; }

    public long Deleted { get; init; }

    /// <summary>Rows the table held before the statement; null when unknown.</summary>
    public long? RowsBefore { get; init; }

    /// <summary><see cref="RowsBefore"/> comes from the planner's statistics (reltuples), not a count.</summary>
    public bool RowsBeforeEstimated { get; init; }

    /// <summary>Whether the table has a primary key (rows can be told apart for undo); null when unknown.</summary>
    public bool? HasPrimaryKey { get; init; }

    /// <summary>The counts come from EXPLAIN, not from running the statement.</summary>
    public bool Estimated { get; init; }

    public string QualifiedName => $"{Schema}.{Name}";

    public long Changed => Inserted + Updated + Deleted;

    /// <summary>Share of the existing rows updated or deleted; null when the table size is unknown or it was empty.</summary>
    public double? Fraction => RowsBefore is > 0 ? Math.Min(1.0, (double)(Updated + Deleted) / RowsBefore.Value) : null;
}
