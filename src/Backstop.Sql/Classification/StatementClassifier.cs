using Backstop.Sql.Splitting;

namespace Backstop.Sql.Classification;

/// <summary>Classifies a statement from its tokens. Pure and allocation-light; never throws on odd input (returns <see cref="StatementKind.Unclassified"/>).</summary>
public static class StatementClassifier
{
    public static StatementInfo Classify(SqlStatement statement) => throw new NotImplementedException();
}
