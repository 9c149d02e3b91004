using System.Globalization;
using Backstop.Postgres;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Tools;
using Npgsql;

namespace Backstop.Recovery.Backups;

/// <summary>Restores a backup's dump into a database with pg_restore (parallel jobs), creating the database when it does not exist.</summary>
public static class DumpRestorer
{
    /// <summary>Runs roles.sql against a cluster Backstop owns (a sandbox): roles that exist already are left as they are.</summary>
    public static async Task CreateRolesAsync(string backupDirectory, PgUrl maintenance, CancellationToken cancellationToken)
    {
        var roles = Path.Combine(backupDirectory, "roles.sql");
        if (!File.Exists(roles))
        {
            return;
        }

        // Without ON_ERROR_STOP: "role already exists" for the bootstrap superuser is expected and harmless.
        await ClientTool.RunAsync("psql", ["-X", "-q", "--no-password", "-f", roles], maintenance, cancellationToken: cancellationToken);
    }

    /// <summary>Creates the database, unless it exists already: in a new cluster, a backup of <c>postgres</c> goes into its empty <c>postgres</c>.</summary>
    /// <param name="encoding">the source database's encoding (null: the cluster's default); created with locale C, which suits every encoding.</param>
    public static async Task CreateDatabaseAsync(PgUrl maintenance, string database, CancellationToken cancellationToken, string? encoding = null)
    {
        await using var connection = new NpgsqlConnection(maintenance.ToConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT FROM pg_database WHERE datname = @name)", connection))
        {
            exists.Parameters.AddWithValue("name", database);
            if (await exists.ExecuteScalarAsync(cancellationToken) is true)
            {
                return;
            }
        }

        var options = encoding is null ? "" : $" ENCODING {PgLiteral.Quote(encoding)} LOCALE 'C'";
        await using var command = new NpgsqlCommand($"CREATE DATABASE {PgIdentifier.Quote(database)} TEMPLATE template0{options}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <param name="clean">
    /// drop the objects of the dump first (<c>--clean --if-exists</c>): for a restore over a database that holds them. It
    /// then runs in one transaction (<c>--single-transaction</c>, so one job): a restore that fails part-way (a missing
    /// role, an object that cannot be dropped) leaves the database exactly as it was, not half dropped.
    /// </param>
    /// <param name="owners">give objects their owners and grants back; false: objects belong to the restoring user.</param>
    public static async Task RestoreAsync(string backupDirectory, PgUrl target, int jobs, bool clean, bool owners, Action<string>? onLine, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--exit-on-error", "--no-password", "--verbose", "--dbname", target.Database };
        if (clean)
        {
            arguments.AddRange(["--clean", "--if-exists", "--single-transaction"]);
        }
        else
        {
            arguments.AddRange(["--jobs", jobs.ToString(CultureInfo.InvariantCulture)]);
        }

        if (!owners)
        {
            arguments.AddRange(["--no-owner", "--no-privileges"]);
        }

        arguments.Add(Path.Combine(backupDirectory, "dump"));
        var result = await ClientTool.RunAsync("pg_restore", arguments, target, onLine, cancellationToken);
        if (!result.Succeeded)
        {
            var errors = result.Errors.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).TakeLast(4);
            var summary = string.Join(" | ", errors.Select(e => e.Trim()));
            var state = clean ? "; it ran in one transaction, so the database was left as it was" : "";
            throw new BackupException($"pg_restore failed (exit {result.ExitCode}): {(summary.Length > 0 ? summary : result.ErrorSummary())}{state}");
        }
    }
}
