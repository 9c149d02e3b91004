namespace Backstop.Recovery.Pitr;

/// <summary>What <c>pitr enable</c> did, one line per change, and whether it got to the end.</summary>
public sealed record EnableResult
{
    public required PitrLayout Layout { get; init; }

    public required IReadOnlyList<string> Changes { get; init; }

    /// <summary>Set when archive_mode waits for a restart that was not allowed: the exact command that restarts the cluster.</summary>
    public string? RestartCommand { get; init; }

    /// <summary>pgBackRest's check passed: WAL archiving reaches the repository.</summary>
    public bool Checked { get; init; }

    public bool Enabled => RestartCommand is null && Checked;
}
