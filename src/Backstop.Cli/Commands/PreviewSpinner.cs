using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>Shows a spinner on a terminal when work takes longer than a second; silent otherwise.</summary>
internal static class PreviewSpinner
{
    public static async Task<T> RunAsync<T>(CommandContext context, int statementCount, Func<IProgress<int>, Task<T>> work, string verb = "Previewing")
    {
        var current = 0;
        var task = work(new Progress<int>(index => current = index));
        if (!context.Host.Ansi || context.Json || await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(1))) == task)
        {
            return await task;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Host.Error) });
        return await console.Status().StartAsync($"{verb}…", async status =>
        {
            while (await Task.WhenAny(task, Task.Delay(200)) != task)
            {
                status.Status($"{verb} statement {current + 1} of {statementCount}…");
            }

            return await task;
        });
    }
}
