using System.CommandLine;
using Backstop.Postgres.Sandbox;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop sandbox start | stop | list</c>: throwaway PostgreSQL clusters on this machine.</summary>
internal static class SandboxCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("sandbox", "Throwaway PostgreSQL clusters from the installed binaries (for trying things, tests and restore drills)");
        command.Add(Start(host));
        command.Add(Stop(host));
        command.Add(List(host));
        return command;
    }

    private static Command Start(CliHost host)
    {
        var name = new Option<string?>("--name") { Description = "A name for the sandbox (default: generated)" };
        var port = new Option<int?>("--port") { Description = "Loopback port to listen on (default: a free one)" };
        var command = new Command("start", "Start a sandbox cluster and print its connection URL") { name, port };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            if (parse.GetValue(port) is { } wanted and (< 1024 or > 65535))
            {
                throw new UsageException($"--port {wanted} is not a port a sandbox can listen on; give one from 1024 to 65535, or leave it out for a free one");
            }

            var options = new SandboxOptions { Name = parse.GetValue(name), Port = parse.GetValue(port) };
            SandboxCluster cluster;
            if (context.Json)
            {
                cluster = await SandboxCluster.StartAsync(options, null, cancellationToken);
                context.WriteJson(new { name = cluster.Info.Name, url = cluster.Url, port = cluster.Info.Port, directory = cluster.Info.Directory });
            }
            else
            {
                cluster = await SandboxCluster.StartAsync(options, new Progress<string>(step => context.ErrorConsole.MarkupLineInterpolated($"[grey]{step}…[/]")), cancellationToken);
                context.ErrorConsole.MarkupLineInterpolated($"Sandbox [bold]{cluster.Info.Name}[/] is running; stop it with `backstop sandbox stop {cluster.Info.Name}`.");
                context.Console.WriteLine(cluster.Url);
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Stop(CliHost host)
    {
        var name = new Argument<string>("NAME") { Description = "The sandbox to stop and delete" };
        var command = new Command("stop", "Stop a sandbox cluster and delete its data") { name };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var cluster = SandboxCluster.Find(parse.GetValue(name)!);
            await cluster.StopAsync(cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { name = cluster.Info.Name, stopped = true });
            }
            else
            {
                context.Console.MarkupLineInterpolated($"Stopped and deleted sandbox [bold]{cluster.Info.Name}[/].");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command List(CliHost host)
    {
        var command = new Command("list", "List sandbox clusters");
        BackstopApp.SetHandler(command, host, (context, _, _) =>
        {
            var sandboxes = SandboxCluster.List();
            if (context.Json)
            {
                context.WriteJson(new { sandboxes = sandboxes.Select(s => new { name = s.Info.Name, url = s.Info.Url, running = s.Running, createdAt = s.Info.CreatedAt, directory = s.Info.Directory }) });
                return Task.FromResult(ExitCodes.Done);
            }

            if (sandboxes.Count == 0)
            {
                context.Console.WriteLine("No sandboxes; start one with `backstop sandbox start`.");
                return Task.FromResult(ExitCodes.Done);
            }

            var table = new Table().AddColumns("Name", "URL", "State", "Created");
            foreach (var (info, running) in sandboxes)
            {
                table.AddRow(Markup.Escape(info.Name), Markup.Escape(info.Url), running ? "[green]running[/]" : "[grey]stopped[/]", info.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            }

            context.Console.Write(table);
            return Task.FromResult(ExitCodes.Done);
        });
        return command;
    }
}
