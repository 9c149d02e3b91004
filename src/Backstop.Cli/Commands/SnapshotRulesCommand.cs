using System.CommandLine;
using Backstop.Core.Configuration;
using Backstop.Core.Snapshots.Rules;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop snapshot rules -e ENV [--write]</c>: the environment's masking rules with a suggested rule for every table
/// and column that has none, as YAML to paste under the environment, or written into backstop.yaml (docs/snapshots.md "Rules").
/// </summary>
internal static class SnapshotRulesCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var write = new Option<bool>("--write") { Description = "Write the rules into the environment's snapshot: section of backstop.yaml (comments inside that section are replaced)" };
        var command = new Command("rules", "Print a starting set of masking rules (fakes for names, emails, phones …; keep for keys), keeping the rules there are") { environmentOption, write };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            IReadOnlyList<SnapshotCatalogTable> catalog;
            await using (var target = await context.Connector.OpenAsync(environment, cancellationToken))
            {
                catalog = await SnapshotCatalog.ReadAsync(target.Connection, cancellationToken);
            }

            var draft = SnapshotRulesDraft.Create(catalog, environment.Snapshot);
            var yaml = draft.Yaml();
            var problems = SnapshotRulesCheck.Check(catalog, draft.Settings);
            var written = parse.GetValue(write) && draft.Added.Count > 0;
            if (written)
            {
                ConfigFileEditor.SetSnapshot(config.Path, environment.Name, yaml);
            }

            if (context.Json)
            {
                context.WriteJson(new
                {
                    environment = environment.Name,
                    added = draft.Added.Select(a => new { @object = a.Object, rule = SnapshotRulesYaml.Value(a.Suggestion.Rule), why = a.Suggestion.Why }),
                    problems,
                    written,
                    yaml = string.Join('\n', yaml) + "\n",
                });
                return ExitCodes.Done;
            }

            if (!parse.GetValue(write))
            {
                foreach (var line in yaml)
                {
                    context.Console.WriteLine(line);
                }
            }

            var summary = draft.Added.Count == 0
                ? $"every table and column of environment '{environment.Name}' has a rule already"
                : written
                    ? $"wrote {draft.Added.Count} new rule(s) (marked # new) into the snapshot: section of environment '{environment.Name}' in {config.Path}; review them"
                    : $"{draft.Added.Count} new rule(s), marked # new; review them, then paste the section under environment '{environment.Name}' in backstop.yaml, or run again with --write";
            context.ErrorConsole.MarkupLineInterpolated($"[green]{summary}[/]");
            foreach (var problem in problems)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[yellow]problem:[/] {problem.ToString()}");
            }

            return ExitCodes.Done;
        });
        return command;
    }
}
