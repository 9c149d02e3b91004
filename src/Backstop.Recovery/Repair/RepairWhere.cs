using Backstop.Sql;
using Backstop.Sql.Splitting;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// Checks on <c>--where</c>, the one piece of a repair that is SQL text from the user. It is put into the comparison's
/// queries as it is (a condition cannot be a parameter), so it must be exactly one condition, and is then read under a
/// read-only transaction (<see cref="TableSnapshot.BeginReadAsync"/>), where it cannot write.
/// </summary>
internal static class RepairWhere
{
    /// <summary>One condition: no top-level ';' that would start a statement of its own.</summary>
    /// <exception cref="RepairUsageException">it is not.</exception>
    public static void CheckIsOneCondition(string? where)
    {
        if (where is null)
        {
            return;
        }

        try
        {
            var script = SqlSplitter.Split($"SELECT 1 WHERE ({where}\n)");
            if (script.Statements.Count != 1 || script.Statements[0].Text.TrimEnd().EndsWith(';'))
            {
                throw new RepairUsageException("--where must be one condition, without ';'; nothing was changed");
            }
        }
        catch (SqlSyntaxException e)
        {
            throw new RepairUsageException($"--where is not valid SQL: {e.Message}; nothing was changed");
        }
    }

    /// <summary>A condition that does not parse or names an unknown column is a usage error, found before anything is compared.</summary>
    /// <param name="side">how messages name the database: "the target", or the source's name.</param>
    /// <exception cref="RepairUsageException">the server does not accept it on that side.</exception>
    public static async Task CheckOnAsync(NpgsqlConnection connection, RepairTable table, string? where, string side, CancellationToken cancellationToken)
    {
        if (where is null)
        {
            return;
        }

        try
        {
            await using var command = new NpgsqlCommand($"EXPLAIN SELECT 1 FROM {table.Quoted} AS r WHERE ({where}\n)", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new RepairUsageException($"--where does not work on {table.QualifiedName} in {side}: {e.MessageText}; nothing was changed");
        }
    }
}
