namespace Backstop.Core.Preview;

/// <summary>What one statement did when it ran in the preview (or the real run), or why it did not run.</summary>
public sealed record StatementImpact
{
    public required int Index { get; init; }

    /// <summary>PostgreSQL's command tag, e.g. "UPDATE 3"; for statements that did not run, their kind.</summary>
    public required string CommandTag { get; init; }

    /// <summary>Rows the statement itself reported; null when it did not run or reports none.</summary>
    public long? RowCount { get; init; }

    /// <summary>
    /// The counts are exact: the statement ran, or its caller counted them (<see cref="Counted"/>); false when it was
    /// judged by classification alone or estimated with EXPLAIN.
    /// </summary>
    public bool Executed { get; init; }

    /// <summary>
    /// The counts are the caller's own (a repair's comparison), not a dry run's, and the catalog showed the statement
    /// writes nothing else (<see cref="CountedImpact"/>); the run is held to them exactly.
    /// </summary>
    public bool Counted { get; init; }

    /// <summary>Counts are an EXPLAIN estimate (a preview bound was hit).</summary>
    public bool Estimated { get; init; }

    /// <summary>Why the statement was not run or was estimated.</summary>
    public string? Note { get; init; }

    public IReadOnlyList<TableImpact> Tables { get; init; } = [];

    /// <summary>What the catalog showed the statement destroyed or rewrote, whatever ran it (a function, a trigger, a CASCADE).</summary>
    public IReadOnlyList<ObservedEffect> Effects { get; init; } = [];

    /// <summary>For a statement that holds a heavy lock (<see cref="Sql.Classification.StatementInfo.Lock"/>): its tables and their sizes.</summary>
    public IReadOnlyList<TableImpact> Locked { get; init; } = [];

    /// <summary>For a DELETE through a view: the view's base tables, which it writes directly (no cascade).</summary>
    public IReadOnlyList<string> ViewBaseTables { get; init; } = [];

    /// <summary>The statement is not DDL, yet the catalog moved without anything Backstop can name (a function created an index, say).</summary>
    public bool UnexplainedCatalogChange { get; init; }

    /// <summary>In a run: what the run did that its preview did not (or the reverse); any entry rolls the change back.</summary>
    public IReadOnlyList<string> Unplanned { get; init; } = [];

    /// <summary>Neither measured nor estimated: policy fails closed.</summary>
    public bool ImpactUnknown => !Executed && !Estimated;

    public long Changed => Tables.Sum(t => t.Changed);
}
