using Backstop.Core.Changes;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>PostgreSQL refused a statement of the script (exit 1); the transaction was rolled back.</summary>
public sealed class StatementFailedException(AnalyzedStatement statement, PostgresException error)
    : Exception($"statement {statement.Index + 1} at {statement.Location} failed: {error.SqlState}: {error.MessageText}", error)
{
    public AnalyzedStatement Statement { get; } = statement;

    public PostgresException Error { get; } = error;
}
