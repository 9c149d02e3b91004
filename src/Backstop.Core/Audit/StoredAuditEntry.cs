namespace Backstop.Core.Audit;

/// <summary>An entry as the store holds it: its number, its canonical JSON, and the leaf hash stored beside it.</summary>
/// <remarks>What the verifier and the export read: nothing here is trusted until <see cref="AuditVerifier"/> recomputes it.</remarks>
public sealed record StoredAuditEntry(long Seq, string Json, byte[] LeafHash);
