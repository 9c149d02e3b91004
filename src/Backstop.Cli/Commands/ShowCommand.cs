using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop show ID</c>: one recorded run, with the first 64 KiB of its script (the store never reads more for it);
/// <c>--script</c> prints the whole script, streamed, and nothing else.
/// </summary>
internal static class ShowCommand
{
    public static Command Create(CliHost host)
    {
        var id = new Argument<long>("ID") { Description = "The change id, from `backstop changes`" };
        var environmentOption = EnvironmentOption.Optional();
        var wholeScript = new Option<bool>("--script") { Description = "Print the change's whole script, exactly as recorded, and nothing else" };
        var command = new Command("show", "Show one recorded run: script, verdict, reasons, impact, outcome") { id, environmentOption, wholeScript };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var changeId = parse.GetValue(id);
            var environment = parse.GetValue(environmentOption);
            if (context.Remote is not null)
            {
                using var client = context.ServerClient();
                if (parse.GetValue(wholeScript))
                {
                    await using var script = await client.StreamAsync($"changes/{changeId}/script", cancellationToken);
                    using var reader = new StreamReader(script);
                    await context.Host.Out.WriteAsync(await reader.ReadToEndAsync(cancellationToken));
                    return ExitCodes.Done;
                }

                var remote = await client.GetAsync<Core.State.ChangeRecord>($"changes/{changeId}", cancellationToken);
                if (environment is not null && remote.Environment != environment)
                {
                    throw new UsageException($"there is no change {changeId} in environment '{environment}'; list them with `backstop changes`");
                }

                return Render(context, remote);
            }

            var config = context.LoadConfig();
            var store = await context.OpenStoreAsync(config, cancellationToken);
            var change = await store.GetAsync(changeId, cancellationToken);
            if (change is null || (environment is not null && change.Environment != environment))
            {
                throw new UsageException($"there is no change {changeId}{(environment is null ? "" : $" in environment '{environment}'")}; list them with `backstop changes`");
            }

            if (parse.GetValue(wholeScript))
            {
                if (context.Json)
                {
                    throw new UsageException("--script prints the script as it was written, not JSON; leave out --json (the JSON of `backstop show ID --json` has its beginning and its SHA-256)");
                }

                await store.CopyScriptAsync(change.Id, context.Host.Out, cancellationToken);
                return ExitCodes.Done;
            }

            return Render(context, change);
        });
        return command;
    }

    private static int Render(CommandContext context, Core.State.ChangeRecord change)
    {
            if (context.Json)
            {
                context.WriteJson(change);
                return ExitCodes.Done;
            }

            var console = context.Console;
            console.MarkupLineInterpolated($"[bold]Change {change.Id}[/] on {change.Environment} ({change.Host}:{change.Port}/{change.Database}, cluster {change.SystemIdentifier})");
            console.MarkupLineInterpolated($"By {change.OsUser} at {change.StartedAt.ToString("u", CultureInfo.InvariantCulture)}, took {change.Duration?.TotalMilliseconds ?? 0:N0} ms");
            console.MarkupLineInterpolated($"Outcome: [bold]{change.Outcome}[/]. Verdict: {change.Verdict.ToString().ToLowerInvariant()}");
            if (change.Outcome == Core.State.ChangeOutcome.Unknown || change.Verdict == Core.Policies.Verdict.Unknown)
            {
                console.MarkupLine("(a newer Backstop recorded an outcome or verdict this one does not know; upgrade Backstop to see it)");
            }
            if (change.Message is not null)
            {
                console.MarkupLineInterpolated($"{change.Message}");
            }

            foreach (var reason in change.Reasons)
            {
                console.MarkupLineInterpolated($"  - {reason}");
            }

            console.MarkupLineInterpolated($"Script (SHA-256 {change.ScriptSha256}):");
            console.Write(new Panel(new Text(change.ScriptTruncated ? change.Script.TrimStart() + "…" : change.Script.Trim())).Border(BoxBorder.Rounded));
            if (change.ScriptTruncated)
            {
                console.MarkupLineInterpolated(
                    $"(script truncated: {change.ScriptBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes in all, SHA-256 {change.ScriptSha256}; `backstop show {change.Id} --script` prints it whole)");
            }

            var table = new Table().AddColumns("Statement", "Tag", "Table", "Inserted", "Updated", "Deleted");
            foreach (var statement in change.Impact)
            {
                if (statement.Tables.Count == 0)
                {
                    table.AddRow((statement.Index + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(statement.CommandTag), "", "", "", "");
                }

                foreach (var t in statement.Tables)
                {
                    table.AddRow((statement.Index + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(statement.CommandTag), Markup.Escape(Backstop.Sql.IdentifierDisplay.Qualified(t.Schema, t.Name)),
                        t.Inserted.ToString("N0", CultureInfo.InvariantCulture), t.Updated.ToString("N0", CultureInfo.InvariantCulture), t.Deleted.ToString("N0", CultureInfo.InvariantCulture));
                }
            }

            console.Write(table);
            return ExitCodes.Done;
    }
}
