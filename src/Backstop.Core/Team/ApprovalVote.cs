namespace Backstop.Core.Team;

/// <summary>One person's approval or rejection of a request, with their reason.</summary>
public sealed record ApprovalVote(string Voter, bool Approved, string? Reason, DateTimeOffset At);
