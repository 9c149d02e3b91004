using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop snapshot link ID -e ENV [--ttl 3m]</c>: asks the team server for a download link of a usable snapshot.
/// The link works once, for the user who asked, until it expires; the server audits issuing, use and expiry.
/// </summary>
internal static class SnapshotLinkCommand
{
    public static Command Create(CliHost host)
    {
        var environment = EnvironmentOption.Required();
        var id = new Argument<string>("id") { Description = "The snapshot's id, as `backstop snapshot list` shows it" };
        var ttl = new Option<string>("--ttl") { Description = "How long the link may be used to start the download (default 3m; at most 24h)" };
        var command = new Command("link", "A download link of a snapshot from the team server: it works once, for you only, for a few minutes") { id, environment, ttl };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            using var client = context.ServerClient();
            var env = parse.GetValue(environment)!;
            var snapshot = parse.GetValue(id)!;
            var link = await client.PostAsync<LinkResponse>(
                $"/api/v1/environments/{Uri.EscapeDataString(env)}/snapshots/{Uri.EscapeDataString(snapshot)}/links",
                new { ttl = parse.GetValue(ttl) }, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(link);
                return ExitCodes.Done;
            }

            var left = link.ExpiresAt - DateTimeOffset.UtcNow;
            context.Console.MarkupLine($"Snapshot [bold]{Markup.Escape(snapshot)}[/] of {Markup.Escape(env)}: this link works once, for you, until {link.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)} ({Math.Max(0, (int)left.TotalSeconds)} s):");
            context.Console.WriteLine(link.Url);
            context.Console.MarkupLine("[grey]Download it with your token, e.g. curl -fH \"Authorization: Bearer $TOKEN\" -o snapshot.tar URL, unpack it, and pg_restore the directory; or `backstop snapshot load`.[/]");
            return ExitCodes.Done;
        });
        return command;
    }

    private sealed record LinkResponse(long Id, string Environment, string Snapshot, string Url, DateTimeOffset ExpiresAt);
}
