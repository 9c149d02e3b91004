using Backstop.Core.Policies;

namespace Backstop.Core.Reports;

/// <summary>A rule that matched, as reports carry it.</summary>
public sealed record ReasonReport(string Rule, Verdict Verdict, string Message)
{
    public static ReasonReport Of(PolicyReason reason) => new(reason.Rule, reason.Verdict, reason.Message);
}
