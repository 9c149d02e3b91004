using Backstop.Core.Policies;
using Backstop.Sql.Classification;

namespace Backstop.Core.Reports;

/// <summary>One statement of a report: where it is, what it did, and the verdict on it.</summary>
public sealed record StatementReport
{
    /// <summary>1-based.</summary>
    public required int Index { get; init; }

    public required int Line { get; init; }

    public required int Column { get; init; }

    public required StatementKind Kind { get; init; }

    public IReadOnlyList<string> Targets { get; init; } = [];

    public required string Text { get; init; }

    public string? CommandTag { get; init; }

    public required Verdict Verdict { get; init; }

    /// <summary>The messages of every rule that matched.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>The rules that matched, each with its verdict.</summary>
    public IReadOnlyList<ReasonReport> Rules { get; init; } = [];

    public long? RowCount { get; init; }

    public bool Executed { get; init; }

    public bool Estimated { get; init; }

    public bool Counted { get; init; }

    public string? Note { get; init; }

    public IReadOnlyList<TableReport> Tables { get; init; } = [];
}
