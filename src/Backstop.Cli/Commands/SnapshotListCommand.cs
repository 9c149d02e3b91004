using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Snapshots;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop snapshot list [-e ENV]</c>.</summary>
internal static class SnapshotListCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Optional();
        var command = new Command("list", "List snapshots: id, environment, time, size, tables, rows and status (only usable ones can be loaded)") { environmentOption };
        BackstopApp.SetHandler(command, host, (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var name = parse.GetValue(environmentOption);
            var snapshots = new SnapshotService(config, context.Connector, host.Clock).List(name);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    snapshots = snapshots.Select(s => new
                    {
                        id = s.Id, environment = s.Environment, path = s.Path, status = s.Manifest?.Status ?? "unreadable", usable = s.Manifest?.IsUsable == true,
                        snapshotTime = s.Manifest?.SnapshotTime, sizeBytes = s.Manifest?.SizeBytes, tables = s.Manifest?.Tables.Count, rows = s.Manifest?.KeptRows,
                        message = s.Manifest?.Message ?? s.Error,
                    }),
                });
                return Task.FromResult(ExitCodes.Done);
            }

            if (snapshots.Count == 0)
            {
                context.Console.WriteLine(name is null ? "No snapshots yet; make one with `backstop snapshot create -e ENV`." : $"No snapshots of {name} yet; make one with `backstop snapshot create -e {name}`.");
                return Task.FromResult(ExitCodes.Done);
            }

            var now = host.Clock.GetUtcNow();
            var table = new Table().AddColumns("ID", "Environment", "Taken", "Size", "Tables", "Rows", "Status");
            foreach (var (environment, id, _, manifest, error) in snapshots)
            {
                var status = manifest switch
                {
                    null => $"[red]unreadable[/] ({Markup.Escape(error ?? "")})",
                    { IsUsable: true } => "[green]usable[/]",
                    _ => $"[red]failed[/] ({Markup.Escape(manifest.Message ?? "")})",
                };
                table.AddRow(
                    Markup.Escape(id), Markup.Escape(environment), manifest is null ? "" : Humanize.Age(now - manifest.SnapshotTime),
                    manifest is null ? "" : Humanize.Bytes(manifest.SizeBytes), manifest?.Tables.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    manifest is null ? "" : Humanize.Count(manifest.KeptRows), status);
            }

            context.Console.Write(table);
            return Task.FromResult(ExitCodes.Done);
        });
        return command;
    }
}
