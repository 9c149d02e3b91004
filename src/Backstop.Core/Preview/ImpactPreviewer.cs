using System.Globalization;
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
            await SetLocalAsync(connection, "lock_timeout", bounds.LockTimeout, cancellationToken);
            await SetLocalAsync(connection, "statement_timeout", bounds.StatementTimeout, cancellationToken);
            var meter = new ImpactMeter(connection, estimateOnTimeout: true);
            var impacts = new List<StatementImpact>(statements.Count);
            foreach (var statement in statements)
            {
                progress?.Report(statement.Index);
                impacts.Add(await meter.MeasureAsync(statement, cancellationToken));
            }

            return impacts;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>SET LOCAL through set_config, so the value travels as a parameter.</summary>
    internal static async Task SetLocalAsync(NpgsqlConnection connection, string setting, TimeSpan value, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT set_config(@setting, @value, true)", connection);
        command.Parameters.AddWithValue("setting", setting);
        command.Parameters.AddWithValue("value", ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
