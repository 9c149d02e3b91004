using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Snapshots;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop snapshot load ID --to ENV|URL [--clean]</c>.</summary>
internal static class SnapshotLoadCommand
{
    public static Command Create(CliHost host)
    {
        var id = new Argument<string>("ID") { Description = "The snapshot to load (see `backstop snapshot list`)" };
        var to = new Option<string>("--to") { Description = "A development or staging environment's name, or a postgresql:// URL; never production. The database is created if it does not exist", Required = true };
        var clean = new Option<bool>("--clean") { Description = "Load into a database that already holds objects: its objects of the same names are dropped first, in one transaction" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel pg_restore jobs (default 2)" };
        var command = new Command("load", "Load a usable snapshot into a development or staging database with pg_restore; refuses production, and a non-empty database without --clean")
        {
            id, to, clean, jobs,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var service = new SnapshotService(config, context.Connector, host.Clock);
            var loaded = await service.LoadAsync(parse.GetValue(id)!, parse.GetValue(to)!, parse.GetValue(clean), parse.GetValue(jobs) ?? 2, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { id = loaded.Id, database = loaded.Url.Database, endpoint = loaded.Url.Endpoint, created = loaded.Created, durationSeconds = Math.Round(loaded.Duration.TotalSeconds, 3) });
            }
            else
            {
                context.Console.MarkupLineInterpolated($"Loaded snapshot {loaded.Id} into database '{loaded.Url.Database}' at {loaded.Url.Endpoint}{(loaded.Created ? " (created)" : "")} in {Humanize.Span(loaded.Duration)}.");
            }

            return ExitCodes.Done;
        });
        return command;
    }
}
