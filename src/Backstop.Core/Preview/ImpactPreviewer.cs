using Backstop.Core.Changes;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// Runs a whole script in one transaction that is always rolled back, measuring each statement
/// (DESIGN.md, D2). Statements PostgreSQL refuses in a transaction block are not run.
/// </summary>
public static class ImpactPreviewer
{
    /// <param name="progress">receives the index of the statement about to run.</param>
    /// <exception cref="StatementFailedException">a statement failed for a reason other than a preview bound.</exception>
    public static async Task<IReadOnlyList<StatementImpact>> PreviewAsync(
        NpgsqlConnection connection, IReadOnlyList<AnalyzedStatement> statements, PreviewBounds bounds, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            var meter = new ImpactMeter(connection, preview: true, bounds.LockTimeout, bounds.StatementTimeout);
            var impacts = new List<StatementImpact>(statements.Count);
            foreach (var statement in statements)
            {
                progress?.Report(statement.Index);
                impacts.Add(await meter.MeasureAsync(statement, cancellationToken));
            }

            return await meter.FlushDeferredAsync(impacts, cancellationToken);
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
        }
    }
}
