using System.CommandLine;
using System.Security.Cryptography;
using Backstop.Cli.Remote;
using Backstop.Core.Reports;
using Backstop.Core.Team;
using Backstop.Server.Api;
using Backstop.Server.Services;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop approvals</c>, <c>approve ID</c>, <c>reject ID</c> and <c>execute ID</c>: the two-person rule through
/// the team server (docs/server.md "Approvals").
/// </summary>
internal static class ApprovalsCommand
{
    public static IEnumerable<Command> Create(CliHost host) => [List(host), Approve(host), Reject(host), Execute(host)];

    private static Command List(CliHost host)
    {
        var environment = EnvironmentOption.Optional();
        var all = new Option<bool>("--all") { Description = "Every request, not only those still waiting" };
        var strict = new Option<bool>("--strict") { Description = "For monitoring: exit 1 while a break-glass run waits for its review" };
        var command = new Command("approvals", "List the requests waiting for approval (and break-glass runs waiting for review), with their impact") { environment, all, strict };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            using var client = context.ServerClient();
            var query = new List<string>();
            if (parse.GetValue(environment) is { } env)
            {
                query.Add("environment=" + Uri.EscapeDataString(env));
            }

            if (parse.GetValue(all))
            {
                query.Add("all=true");
            }

            var requests = await client.GetAsync<List<ApprovalView>>("approvals" + (query.Count == 0 ? "" : "?" + string.Join("&", query)), cancellationToken);
            var unreviewed = requests.Count(r => r.Kind == ApprovalRequest.PostReview && r.Status == ApprovalStatus.Open);
            var exit = parse.GetValue(strict) && unreviewed > 0 ? ExitCodes.RuntimeError : ExitCodes.Done;
            if (context.Json)
            {
                context.WriteJson(new { approvals = requests, unreviewedBreakGlass = unreviewed });
                return exit;
            }

            if (requests.Count == 0)
            {
                context.Console.MarkupLine("No request is waiting.");
                return exit;
            }

            foreach (var request in requests)
            {
                Render(context.Console, request, host.Clock.GetUtcNow());
            }

            if (unreviewed > 0)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[red]{unreviewed} break-glass run(s) wait for another person's review[/] (`backstop approve ID`).");
            }

            return exit;
        });
        return command;
    }

    internal static void Render(IAnsiConsole console, ApprovalView request, DateTimeOffset now)
    {
        var approvals = request.Votes.Count(v => v.Approved);
        var kind = request.Kind == ApprovalRequest.PostReview ? "[red]break glass, to review[/]" : $"{approvals} of {request.RequiredApprovals} approvals";
        console.MarkupLineInterpolated(
            $"[bold]Request {request.Id}[/] on [bold]{request.Environment}[/] by {request.Requester}, {Age(now - request.CreatedAt)} ago: [bold]{request.Status.ToString().ToLowerInvariant()}[/]");
        console.MarkupLine($"  {kind}; change {request.ChangeId}, script SHA-256 {request.ScriptSha256[..12]}…");
        var firstLine = (request.Script ?? "").Split('\n')[0].Trim();
        console.MarkupLineInterpolated($"  [dim]{(firstLine.Length > 100 ? firstLine[..100] + " …" : firstLine)}[/]");
        foreach (var table in request.Impact)
        {
            console.MarkupLineInterpolated($"  {table.Table}: {table.Inserted:N0} inserted, {table.Updated:N0} updated, {table.Deleted:N0} deleted");
        }

        foreach (var reason in request.Reasons)
        {
            console.MarkupLineInterpolated($"  - {reason}");
        }

        if (request.Reason is { } why)
        {
            console.MarkupLineInterpolated($"  reason given: {why}");
        }

        foreach (var vote in request.Votes)
        {
            console.MarkupLineInterpolated($"  {(vote.Approved ? "approved" : "rejected")} by {vote.Voter}{(vote.Reason is null ? "" : ": " + vote.Reason)}");
        }

        foreach (var staged in request.StagedRuns ?? [])
        {
            console.MarkupLineInterpolated($"  ran first on {staged.Environment} ({staged.Tier.ToString().ToLowerInvariant()}), change {staged.ChangeId}, at {staged.At:u}: {staged.RowsChanged:N0} rows");
            foreach (var table in staged.Tables)
            {
                console.MarkupLineInterpolated($"    {table.Table}: {table.Inserted:N0} inserted, {table.Updated:N0} updated, {table.Deleted:N0} deleted there");
            }
        }
    }

    private static Command Approve(CliHost host)
    {
        var id = new Argument<long>("id") { Description = "The request's number (from `backstop approvals`)" };
        var reason = new Option<string?>("--reason") { Description = "Why, for the requester and the audit log" };
        var command = new Command("approve", "Approve someone else's request (or review a break-glass run)") { id, reason };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            using var client = context.ServerClient();
            var request = await client.PostAsync<ApprovalView>($"approvals/{parse.GetValue(id)}/approve", new VoteRequest(parse.GetValue(reason)), cancellationToken);
            return Voted(context, request, request.Status switch
            {
                ApprovalStatus.Approved => $"Request {request.Id} is approved; {request.Requester} runs it with `backstop execute {request.Id}` before {request.ExecuteBy:u}.",
                ApprovalStatus.Reviewed => $"Reviewed the break-glass run of request {request.Id}.",
                _ => $"Approved; request {request.Id} has {request.Votes.Count(v => v.Approved)} of the {request.RequiredApprovals} approvals it needs.",
            });
        });
        return command;
    }

    private static Command Reject(CliHost host)
    {
        var id = new Argument<long>("id") { Description = "The request's number" };
        var reason = new Option<string>("--reason") { Description = "Why, for the requester and the audit log", Required = true };
        var command = new Command("reject", "Reject a request (or withdraw your own): it never runs") { id, reason };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            using var client = context.ServerClient();
            var request = await client.PostAsync<ApprovalView>($"approvals/{parse.GetValue(id)}/reject", new VoteRequest(parse.GetValue(reason)), cancellationToken);
            return Voted(context, request, $"Rejected request {request.Id}; it will not run.");
        });
        return command;
    }

    private static Command Execute(CliHost host)
    {
        var id = new Argument<long>("id") { Description = "The approved request's number" };
        var file = new Option<string?>("--file", "-f") { Description = "The script you hold: refused unless it is exactly the one approved" };
        var command = new Command("execute", "Run an approved request, once: measured again, and refused if its impact grew") { id, file };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            string? sha256 = null;
            if (parse.GetValue(file) is { } path)
            {
                var full = Path.GetFullPath(path, host.WorkingDirectory);
                var text = File.Exists(full)
                    ? Core.Changes.ScriptText.Decode(await File.ReadAllBytesAsync(full, cancellationToken), $"the script file {full}")
                    : throw new UsageException($"the script file {full} does not exist");

                // The same digest the lifecycle records: SHA-256 of the script's text as UTF-8.
                sha256 = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
            }

            using var client = context.ServerClient();
            var report = await client.PostAsync<ChangeReport>($"approvals/{parse.GetValue(id)}/execute", new ExecuteRequest(sha256), cancellationToken);
            RemoteChanges.Banner(context, report);
            if (!context.Json)
            {
                Rendering.ImpactView.Report(context.Console, report, report.Preview, report.PreviewRowsChanged);
            }

            return RemoteChanges.Finish(context, report);
        });
        return command;
    }

    private static int Voted(CommandContext context, ApprovalView request, string text)
    {
        if (context.Json)
        {
            context.WriteJson(request);
        }
        else
        {
            context.Console.MarkupLineInterpolated($"{text}");
        }

        return ExitCodes.Done;
    }

    private static string Age(TimeSpan age) => age.TotalHours >= 1
        ? $"{(int)age.TotalHours} h {age.Minutes} min"
        : age.TotalMinutes >= 1 ? $"{(int)age.TotalMinutes} min" : $"{Math.Max(0, (int)age.TotalSeconds)} s";
}
