using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop changes</c>: the recorded runs, newest first.</summary>
internal static class ChangesCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Optional();
        var limit = new Option<int>("--limit") { Description = "How many to show", DefaultValueFactory = _ => 50 };
        var command = new Command("changes", "List recorded runs, newest first") { environmentOption, limit };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var count = parse.GetValue(limit);
            if (count < 1)
            {
                throw new UsageException($"--limit {count} is not a number of changes to show; give 1 or more (the default is 50)");
            }

            var environment = parse.GetValue(environmentOption);
            IReadOnlyList<Core.State.ChangeRecord> changes;
            if (context.Remote is not null)
            {
                using var client = context.ServerClient();
                var query = $"changes?limit={count.ToString(CultureInfo.InvariantCulture)}" + (environment is null ? "" : "&environment=" + Uri.EscapeDataString(environment));
                changes = await client.GetAsync<List<Core.State.ChangeRecord>>(query, cancellationToken);
            }
            else
            {
                var config = context.LoadConfig();
                if (environment is not null)
                {
                    config.Environment(environment);
                }

                var store = await context.OpenStoreAsync(config, cancellationToken);
                foreach (var note in await Core.Changes.ChangeReconciler.ReconcileAsync(config, store, context.Connector, cancellationToken))
                {
                    context.ErrorConsole.MarkupLineInterpolated($"[yellow]note:[/] {note}");
                }

                changes = await store.ListAsync(environment, count, cancellationToken);
            }

            if (context.Json)
            {
                context.WriteJson(new
                {
                    changes = changes.Select(c => new
                    {
                        id = c.Id,
                        environment = c.Environment,
                        outcome = c.Outcome,
                        verdict = c.Verdict,
                        startedAt = c.StartedAt,
                        durationMs = c.Duration?.TotalMilliseconds,
                        actor = c.OsUser,
                        osUser = c.OsUser,
                        rowsChanged = c.Impact.Sum(i => i.Changed),
                        scriptSha256 = c.ScriptSha256,
                        undoOf = c.UndoOf,
                    }),
                });
                return ExitCodes.Done;
            }

            if (changes.Count == 0)
            {
                context.Console.WriteLine("No changes recorded yet.");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Id", "Environment", "Started", "User", "Outcome", "Verdict", "Rows", "Script");
            foreach (var c in changes)
            {
                var firstLine = c.UndoOf is { } undone ? $"(undo of change {undone})" : c.Script.Trim().Split('\n')[0];
                table.AddRow(
                    c.Id.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(c.Environment),
                    c.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    Markup.Escape(c.OsUser),
                    c.Outcome.ToString(),
                    c.Verdict.ToString().ToLowerInvariant(),
                    c.Impact.Sum(i => i.Changed).ToString("N0", CultureInfo.InvariantCulture),
                    Markup.Escape(firstLine.Length > 50 ? firstLine[..50] + "…" : firstLine));
            }

            context.Console.Write(table);
            return ExitCodes.Done;
        });
        return command;
    }
}
