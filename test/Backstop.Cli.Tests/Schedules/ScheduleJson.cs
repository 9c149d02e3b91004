using System.Text.Json;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>What `schedule list --json`, `schedule runs --json` and `backup list --json` say, read in the workspace.</summary>
internal static class ScheduleJson
{
    public static async Task<IReadOnlyList<JsonElement>> ListAsync(CliWorkspace workspace, string property, params string[] args)
    {
        var result = await workspace.RunAsync([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        return json.RootElement.GetProperty(property).EnumerateArray().Select(e => e.Clone()).ToList();
    }

    public static Task<IReadOnlyList<JsonElement>> RunsAsync(CliWorkspace workspace) =>
        ListAsync(workspace, "runs", "schedule", "runs", "--limit", "1000");

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="timeout"/> passes; true if it held.</summary>
    public static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(500);
        }

        return await condition();
    }
}
