namespace Backstop.Core.Schedules;

/// <summary>One slot of a schedule as recorded: who ran it, when, and how it ended.</summary>
public sealed record ScheduleRun
{
    public long Id { get; init; }

    public required string Environment { get; init; }

    /// <summary>The kind's name (<see cref="ScheduleKinds"/>).</summary>
    public required string Kind { get; init; }

    /// <summary>The occurrence of the cron expression this run is for.</summary>
    public required DateTimeOffset Slot { get; init; }

    /// <summary>The server process that ran it (host and process id).</summary>
    public required string Holder { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary><see cref="ScheduleOutcomes"/>.</summary>
    public required string Outcome { get; init; }

    /// <summary>The command's exit code (docs/cli.md), when it ran.</summary>
    public int? ExitCode { get; init; }

    /// <summary>What the command said: the backup's id, or the error with its fix.</summary>
    public string? Message { get; init; }
}

/// <summary>How a slot ended.</summary>
public static class ScheduleOutcomes
{
    public const string Running = "running";
    public const string Ok = "ok";
    public const string Failed = "failed";

    /// <summary>Not run: the schedule's previous slot was still running (its lease held).</summary>
    public const string Skipped = "skipped";

    /// <summary>Its server process stopped before it ended (its lease ran out).</summary>
    public const string Interrupted = "interrupted";
}
