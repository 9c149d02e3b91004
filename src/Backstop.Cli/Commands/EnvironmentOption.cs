using System.CommandLine;

namespace Backstop.Cli.Commands;

/// <summary><c>-e/--env NAME</c>, taken by every command that acts on an environment.</summary>
internal static class EnvironmentOption
{
    public static Option<string> Required() => new("--env", "-e") { Description = "The environment (from backstop.yaml) to act on", Required = true };

    public static Option<string?> Optional() => new("--env", "-e") { Description = "Only this environment" };
}
