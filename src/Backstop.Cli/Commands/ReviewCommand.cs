using System.CommandLine;
using System.Reflection;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Preview;
using Backstop.Core.Review;
using Backstop.Recovery.Backups;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop review -e ENV [-f migration.sql] [--sarif FILE|-] [--fail-on SEVERITY]</c>: the schema safety review of the
/// live catalog, or of what a migration would introduce (docs/review.md).
/// </summary>
internal static class ReviewCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var file = new Option<string?>("--file", "-f") { Description = "Review a migration script instead: preview it (rolled back) and report the findings it would introduce" };
        var text = new Option<string?>("--command", "-c") { Description = "Review a migration given as text instead of a file (as -f does)" };
        var sarif = new Option<string?>("--sarif") { Description = "Also write the findings as a SARIF 2.1.0 log to FILE, or to standard output with -" };
        var failOn = new Option<string?>("--fail-on") { Description = "Exit 1 when a finding (not suppressed) is at least this severe: info, low, medium, high or critical" };
        var command = new Command("review", "Schema safety review: cascade blast radius, foreign keys without an index, tables without a key, privileges, timeouts, recoverability")
        {
            environmentOption, file, text, sarif, failOn,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var threshold = ParseSeverity(parse.GetValue(failOn));
            var sarifPath = parse.GetValue(sarif);
            if (sarifPath == "-" && context.Json)
            {
                throw new UsageException("--sarif - and --json both want standard output; write the SARIF log to a file (--sarif review.sarif)");
            }

            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var migration = parse.GetValue(file);
            var given = parse.GetValue(text);
            if (migration is not null && given is not null)
            {
                throw new UsageException("give the migration once: -f FILE or -c SQL, not both");
            }

            var statements = given is not null ? ScriptAnalyzer.Analyze(given)
                : migration is null ? null : ScriptAnalyzer.Analyze(await ReadScriptAsync(host, migration, cancellationToken));
            migration ??= given is null ? null : "(-c)";
            var now = host.Clock.GetUtcNow();
            ReviewReport report;
            await using (var target = await context.Connector.OpenAsync(environment, cancellationToken))
            {
                if (statements is null)
                {
                    var health = (await new BackupService(config, context.Connector, host.Clock).StatusAsync(environment.Name, cancellationToken)).Single();
                    var facts = RecoverabilityFacts.Of(config, environment, health.LastProvenAge, health.Limit, health.LastDrill is not null);
                    report = await SchemaReviewer.ReviewAsync(target.Connection, environment.Name, facts, environment.Review.Suppressions, now, cancellationToken, environment.Review.Roles);
                }
                else
                {
                    var bounds = new PreviewBounds(environment.LockTimeout, environment.StatementTimeout);
                    var introduced = await MigrationReview.ReviewAsync(target.Connection, statements, bounds, cancellationToken);
                    var findings = ReviewReport.Suppress(introduced, environment.Review.Suppressions, now);
                    report = new ReviewReport(environment.Name, findings, findings.Select(f => f.Cascade).OfType<CascadeReach>().ToList());
                }
            }

            if (sarifPath is not null)
            {
                var version = typeof(ReviewCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
                var log = SarifLog.Create(report, version, now).ToJsonString(Core.Reports.ReportJson.Options);
                if (sarifPath == "-")
                {
                    await host.Out.WriteLineAsync(log);
                    context.MarkJsonWritten();
                }
                else
                {
                    await File.WriteAllTextAsync(Path.GetFullPath(sarifPath, host.WorkingDirectory), log, cancellationToken);
                }
            }

            var failed = threshold is { } level && report.HasAtLeast(level);
            if (context.Json)
            {
                context.WriteJson(ReviewView.Json(report, migration, threshold, failed));
            }
            else
            {
                ReviewView.Write(sarifPath == "-" ? context.ErrorConsole : context.Console, report, migration, now);
            }

            // As `backup status --strict`: 1 tells CI that the check found what it was asked to fail on.
            return failed ? ExitCodes.RuntimeError : ExitCodes.Done;
        });
        return command;
    }

    private static ReviewSeverity? ParseSeverity(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return Enum.TryParse<ReviewSeverity>(text, ignoreCase: true, out var severity) && Enum.IsDefined(severity) && !int.TryParse(text, out _)
            ? severity
            : throw new UsageException($"--fail-on '{text}' is not a severity; use info, low, medium, high or critical");
    }

    private static async Task<string> ReadScriptAsync(CliHost host, string file, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(file, host.WorkingDirectory);
        return File.Exists(path)
            ? ScriptText.Decode(await File.ReadAllBytesAsync(path, cancellationToken), $"the script file {path}")
            : throw new UsageException($"the script file {path} does not exist");
    }
}
