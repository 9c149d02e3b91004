using System.Text.Json;
using Backstop.Core.Schedules;

namespace Backstop.Server.Schedules;

/// <summary>The CLI command a schedule runs, as a person would type it, and the line it leaves in the record.</summary>
internal static class ScheduledCommand
{
    private const int MaxMessage = 2000;

    public static IReadOnlyList<string> Args(Schedule schedule) => schedule.Kind switch
    {
        ScheduleKind.Backup => ["backup", "run", "-e", schedule.Environment],
        ScheduleKind.Drill => ["backup", "verify", "--latest", "-e", schedule.Environment],
        ScheduleKind.PitrBackup => ["pitr", "backup", "-e", schedule.Environment],
        ScheduleKind.PitrDrill => ["pitr", "verify", "-e", schedule.Environment],
        ScheduleKind.Snapshot => ["snapshot", "create", "-e", schedule.Environment],
        _ => ["purge", "-e", schedule.Environment],
    };

    /// <summary>From the command's <c>--json</c> output: its error, else the id of what it made; else its last line of errors.</summary>
    public static string? Message(Services.CommandResult result)
    {
        string? message = null;
        try
        {
            using var json = JsonDocument.Parse(result.Stdout);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                message = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString()
                    : root.TryGetProperty("passed", out var passed) ? Drill(root, passed.ValueKind == JsonValueKind.True)
                    : root.TryGetProperty("id", out var id) ? "id " + id.ToString()
                    : root.TryGetProperty("bytesFreed", out var freed) ? $"freed {freed} bytes"
                    : null;
            }
        }
        catch (JsonException)
        {
        }

        message ??= result.ExitCode == 0 ? null : result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return message is { Length: > MaxMessage } ? message[..MaxMessage] + "…" : message;
    }

    /// <summary>A drill's result: the backup (or the PITR drill's id) and, when it failed, the first failed check.</summary>
    private static string Drill(JsonElement root, bool passed)
    {
        var what = root.TryGetProperty("backup", out var backup) ? $"backup {backup}" : root.TryGetProperty("drillId", out var drill) ? $"drill {drill}" : "drill";
        var failure = root.TryGetProperty("failures", out var failures) && failures.ValueKind == JsonValueKind.Array && failures.GetArrayLength() > 0
            && failures[0].TryGetProperty("message", out var first) ? first.GetString() : null;
        return passed ? $"{what}: passed" : $"{what}: failed" + (failure is null ? "" : $" ({failure})");
    }
}
