namespace Backstop.Core.Audit;

/// <summary>The answer of <see cref="AuditProof.Verify"/>: whether the proof holds, and a sentence saying what it proves or why not.</summary>
public sealed record AuditProofCheck(bool Valid, string Message);
