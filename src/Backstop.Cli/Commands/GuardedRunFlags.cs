namespace Backstop.Cli.Commands;

/// <summary>How the user answers a confirmation: flags for scripts, or a prompt on a terminal.</summary>
internal sealed record GuardedRunFlags(bool AllowAllRows, bool Yes, string? ConfirmName, bool Interactive);
