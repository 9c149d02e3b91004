using System.Globalization;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Tools;

namespace Backstop.Recovery.Pitr.RecoverDatabase;

/// <summary>
/// Copies one database from a clone into an existing, empty database of another server with PostgreSQL's own tools:
/// <c>pg_dump --format=directory --jobs=N</c> from the clone, <c>pg_restore --jobs=N</c> into the target, owners and
/// privileges kept (the clone has the source's roles). A logical copy, because a physical one can only be of a whole
/// cluster, and the source cluster kept running.
/// </summary>
internal static class DatabaseCopy
{
    public static async Task CopyAsync(PgUrl from, PgUrl to, int jobs, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("backstop-recover-").FullName;
        try
        {
            var dump = Path.Combine(directory, "dump");
            var parallel = $"--jobs={jobs.ToString(CultureInfo.InvariantCulture)}";
            var dumped = await ClientTool.RunAsync("pg_dump", ["--format=directory", parallel, "--no-password", $"--file={dump}", "--dbname", from.Database], from, cancellationToken: cancellationToken);
            if (!dumped.Succeeded)
            {
                throw new PitrException($"pg_dump of database '{from.Database}' from the clone failed: {dumped.ErrorSummary()}");
            }

            var restored = await ClientTool.RunAsync("pg_restore", ["--exit-on-error", "--no-password", parallel, "--dbname", to.Database, dump], to, cancellationToken: cancellationToken);
            if (!restored.Succeeded)
            {
                throw new PitrException($"pg_restore into database '{to.Database}' at {to.Endpoint} failed: {restored.ErrorSummary()}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
