using System.CommandLine;
using Backstop.Core.Configuration;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop init</c>: writes a commented starter backstop.yaml.</summary>
internal static class InitCommand
{
    public static Command Create(CliHost host)
    {
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file" };
        var command = new Command("init", "Write a commented starter backstop.yaml in the current directory (or at --config)") { force };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var path = context.ConfigPath;
            if (File.Exists(path) && !parse.GetValue(force))
            {
                throw new UsageException($"{path} already exists; keep it, or overwrite it with `backstop init --force`");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, StarterConfig.Text, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { path });
            }
            else
            {
                context.Console.MarkupLineInterpolated($"Wrote [bold]{path}[/]. Next: backstop env add NAME --url URL --tier production|staging|development");
            }

            return ExitCodes.Done;
        });
        return command;
    }
}
