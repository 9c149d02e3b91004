namespace Backstop.Core.Policies;

/// <summary>The verdict on a script: its strictest statement's, or a script-wide rule's (total rows).</summary>
public sealed record PolicyDecision(Verdict Verdict, IReadOnlyList<StatementVerdict> Statements, IReadOnlyList<PolicyReason> ScriptReasons)
{
    /// <summary>The reasons that decided the verdict, script-wide ones first.</summary>
    public IEnumerable<PolicyReason> DecidingReasons =>
        ScriptReasons.Concat(Statements.SelectMany(s => s.Reasons)).Where(r => r.Verdict == Verdict).DistinctBy(r => r.Message);
}
