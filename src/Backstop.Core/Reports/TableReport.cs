namespace Backstop.Core.Reports;

/// <summary>What one statement did to one table, as reports carry it.</summary>
public sealed record TableReport
{
    public required string Table { get; init; }

    public long Inserted { get; init; }

    public long Updated { get; init; }

    public long Deleted { get; init; }

    public long? RowsBefore { get; init; }

    public bool RowsBeforeEstimated { get; init; }

    public double? Fraction { get; init; }

    public bool Estimated { get; init; }
}
