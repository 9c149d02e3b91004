using Backstop.Cli.Commands;
using Backstop.Cli.Rendering;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Reports;
using Backstop.Core.State;
using Backstop.Server.Services;
using Spectre.Console;

namespace Backstop.Cli.Remote;

/// <summary>
/// <c>check</c> and <c>run</c> through the server: it previews, judges and runs with its own credentials, the
/// signed-in person as the actor; the CLI renders the server's report exactly as it renders its own, and exits alike.
/// </summary>
internal static class RemoteChanges
{
    public static async Task<int> CheckAsync(CommandContext context, string environment, string script, bool allowAllRows, CancellationToken cancellationToken)
    {
        using var client = context.ServerClient();
        var report = await Spinning(context, () => client.PostAsync<ChangeReport>(
            $"environments/{Uri.EscapeDataString(environment)}/check", new RunRequest { Script = script, AllowAllRows = allowAllRows }, cancellationToken));
        Banner(context, report);
        return CheckCommand.Render(context, report);
    }

    public static async Task<int> RunAsync(CommandContext context, string environment, string script, GuardedRunFlags flags, bool emergency, string? reason, CancellationToken cancellationToken)
    {
        using var client = context.ServerClient();
        var path = $"environments/{Uri.EscapeDataString(environment)}";
        var request = new RunRequest
        {
            Script = script,
            AllowAllRows = flags.AllowAllRows,
            Yes = flags.Yes,
            Confirm = flags.ConfirmName,
            Interactive = flags.Interactive && !context.Json,
            Emergency = emergency,
            Reason = reason,
        };
        var report = await Spinning(context, () => client.PostAsync<ChangeReport>($"{path}/runs", request, cancellationToken));
        Banner(context, report);
        if (!context.Json)
        {
            ImpactView.Report(context.Console, report, report.Preview, report.PreviewRowsChanged);
        }

        if (report.Requires is "confirmation" or "typedName" && report.ChangeId is { } changeId && report.Outcome == ChangeOutcome.Prepared)
        {
            var requirement = report.Requires == "typedName" ? Requirement.TypedName : Requirement.Confirmation;
            var target = new EnvironmentConfig { Name = report.Environment, Url = "", Tier = report.Tier };
            var authorization = await GuardedRun.AuthorizeAsync(context, requirement, target, flags, cancellationToken);
            var answer = authorization is null
                ? new { yes = false, confirm = (string?)null, allowAllRows = flags.AllowAllRows, decline = true }
                : new { yes = true, confirm = authorization.TypedName, allowAllRows = flags.AllowAllRows, decline = false };
            report = await Spinning(context, () => client.PostAsync<ChangeReport>($"{path}/changes/{changeId}/confirm", answer, cancellationToken), "Running");
        }

        return Finish(context, report);
    }

    /// <summary>Renders how a run through the server ended, and returns its exit code.</summary>
    public static int Finish(CommandContext context, ChangeReport report)
    {
        if (context.Json)
        {
            context.WriteJson(report);
        }
        else
        {
            if (report.Outcome == ChangeOutcome.NotConfirmed && report.Message is { } message)
            {
                context.ErrorConsole.MarkupLineInterpolated($"{message}.");
            }

            GuardedRun.RenderOutcome(context, report, approvalHint: "");
        }

        return report.RequestId is not null && report.Outcome is ChangeOutcome.NeedsApproval ? ExitCodes.NeedsConfirmation : GuardedRun.ExitCode(report.Outcome ?? ChangeOutcome.Failed);
    }

    public static void Banner(CommandContext context, ChangeReport report) =>
        ImpactView.Banner(context.Console, report.Environment, report.Tier, report.Endpoint ?? "(server)", report.Database ?? "?");

    private static async Task<T> Spinning<T>(CommandContext context, Func<Task<T>> work, string verb = "Previewing") =>
        await PreviewSpinner.RunAsync(context, 1, _ => work(), verb);
}
