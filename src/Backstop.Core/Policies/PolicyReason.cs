namespace Backstop.Core.Policies;

/// <summary>One rule that matched, what it asks for, and why in words.</summary>
public sealed record PolicyReason(string Rule, Verdict Verdict, string Message);
