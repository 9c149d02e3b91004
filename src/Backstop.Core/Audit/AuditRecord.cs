namespace Backstop.Core.Audit;

/// <summary>
/// What happened, as a caller tells the audit log; the log adds the number, the time and the chain
/// (<see cref="AuditEntry"/>). Never put a password, a token, a session cookie or a connection string with a password
/// in any field: the log keeps everything forever, in the clear, and cannot take a word back.
/// </summary>
public sealed record AuditRecord
{
    /// <summary>Who: a Backstop user name, or the operating-system user of a local command.</summary>
    public required string Actor { get; init; }

    /// <summary>
    /// What, in the log's vocabulary: <c>signin</c>, <c>signin.failed</c>, <c>token.issued</c>, <c>token.revoked</c>,
    /// <c>request</c>, <c>approve</c>, <c>reject</c>, <c>execute</c>, <c>undo</c>, <c>repair</c>, <c>restore</c>,
    /// <c>trash</c>, <c>backup</c>, <c>drill</c>, <c>user.add</c>, …
    /// </summary>
    public required string Action { get; init; }

    /// <summary><c>ok</c>, <c>denied</c>, <c>failed</c>, …</summary>
    public required string Outcome { get; init; }

    /// <summary>The client's address, when the action came over the network.</summary>
    public string? From { get; init; }

    /// <summary>The environment it concerns, if any.</summary>
    public string? Environment { get; init; }

    /// <summary>What it was done to: <c>change 12</c>, <c>request 4</c>, <c>user bob</c>.</summary>
    public string? Object { get; init; }

    /// <summary>A few more fields (a script's SHA-256, a reason); never a secret.</summary>
    public IReadOnlyDictionary<string, string>? Detail { get; init; }
}
