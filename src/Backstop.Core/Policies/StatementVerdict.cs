namespace Backstop.Core.Policies;

public sealed record StatementVerdict(int Index, Verdict Verdict, IReadOnlyList<PolicyReason> Reasons);
