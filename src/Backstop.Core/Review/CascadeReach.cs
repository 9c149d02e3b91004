namespace Backstop.Core.Review;

/// <summary>Where a one-row DELETE on <see cref="Table"/> reaches; every count is an estimate from the planner's statistics.</summary>
/// <param name="RowsWorst">rows removed from the other tables at worst (SET NULL rows are updated, not counted).</param>
/// <param name="RowsAverage">rows removed from the other tables on average over the table's rows.</param>
/// <param name="Triggers">DELETE triggers of the table itself, which may write more than the cascade.</param>
/// <param name="MissingStatistics">tables on the way that were never analyzed: their counts are unknown (0).</param>
public sealed record CascadeReach(string Table, IReadOnlyList<CascadeStep> Steps, double RowsWorst, double RowsAverage, IReadOnlyList<string> Triggers, IReadOnlyList<string> MissingStatistics)
{
    public bool Estimated => true;
}
