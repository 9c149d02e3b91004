namespace Backstop.Server.Services;

/// <summary>A script to check or run on an environment, and what the person brings to it (as <c>backstop run</c>'s options).</summary>
public sealed record RunRequest
{
    public required string Script { get; init; }

    public bool AllowAllRows { get; init; }

    /// <summary>A yes given in advance (<c>--yes</c>).</summary>
    public bool Yes { get; init; }

    /// <summary>The environment's name typed in advance (<c>--confirm NAME</c>).</summary>
    public string? Confirm { get; init; }

    /// <summary>The person is at a terminal: a change that needs a confirmation waits for it instead of being set aside.</summary>
    public bool Interactive { get; init; }

    /// <summary>Break glass (<c>--emergency --reason</c>): run without the approval, where the tier allows it.</summary>
    public bool Emergency { get; init; }

    public string? Reason { get; init; }
}
