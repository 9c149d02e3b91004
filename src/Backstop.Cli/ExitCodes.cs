namespace Backstop.Cli;

/// <summary>Exit codes of every command (DESIGN.md, "Exit codes").</summary>
internal static class ExitCodes
{
    public const int Done = 0;
    public const int RuntimeError = 1;
    public const int UsageError = 2;
    public const int Denied = 3;
    public const int NeedsConfirmation = 4;
    public const int Conflicts = 5;
}
