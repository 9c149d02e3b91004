using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Core.Changes;

/// <summary>A statement with what its text tells about it.</summary>
public sealed record AnalyzedStatement(SqlStatement Statement, StatementInfo Info)
{
    public int Index => Statement.Index;

    public string Location => $"line {Statement.Span.Start.Line}, column {Statement.Span.Start.Column}";
}
