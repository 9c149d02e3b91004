namespace Backstop.Core.Audit;

/// <summary>What <see cref="AuditVerifier"/> found: how much it checked and, if the log is not intact, its first problem.</summary>
public sealed record AuditVerification
{
    /// <summary>Entries found intact, from entry 1, before the first problem (all of them when there is none).</summary>
    public required long Entries { get; init; }

    /// <summary>Checkpoints whose root and signature were checked and found right.</summary>
    public required int Checkpoints { get; init; }

    /// <summary>The first problem, in words that name the entry or checkpoint; null when the log is intact.</summary>
    public string? Problem { get; init; }

    /// <summary>The entry the problem names, or the size of the checkpoint it names; null when there is none.</summary>
    public long? ProblemAt { get; init; }

    public bool Intact => Problem is null;

    public override string ToString() => Problem ?? $"{Entries} entries, {Checkpoints} checkpoints verified";
}
