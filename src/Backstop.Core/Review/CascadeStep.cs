namespace Backstop.Core.Review;

/// <summary>A table a one-row DELETE reaches, with the rows it would remove (or set to NULL), estimated.</summary>
/// <param name="Via">the foreign key (child.constraint) through which it is first reached.</param>
/// <param name="Action">CASCADE (rows removed), SET NULL or SET DEFAULT (rows updated).</param>
/// <param name="RowsWorst">at worst: the most common parent value at each step; capped at the table's rows.</param>
/// <param name="RowsAverage">averaged over every row of the deleted table.</param>
public sealed record CascadeStep(string Table, string Via, string Action, int Depth, double RowsWorst, double RowsAverage, IReadOnlyList<string> Triggers, bool Unindexed);
