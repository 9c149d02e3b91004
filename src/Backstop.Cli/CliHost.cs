using Spectre.Console;

namespace Backstop.Cli;

/// <summary>
/// Everything the CLI takes from its surroundings, so that tests run it in-process against a real
/// database with their own input, output, working directory, environment variables and clock.
/// </summary>
internal sealed record CliHost
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public required TextReader In { get; init; }

    /// <summary>Standard input as bytes, so that a script piped in is checked for valid UTF-8; null when only <see cref="In"/> is given.</summary>
    public Stream? StandardInput { get; init; }

    /// <summary>False when standard input is a pipe or file: prompts are impossible.</summary>
    public required bool Interactive { get; init; }

    public required string WorkingDirectory { get; init; }

    public required Func<string, string?> Variables { get; init; }

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Who acts: the operating-system user, or the signed-in person when the team server runs the command for them.</summary>
    public string Actor { get; init; } = Environment.UserName;

    /// <summary>The team server runs this command and audits it itself; the CLI does not record it again.</summary>
    public bool AuditedByServer { get; init; }

    /// <summary>Where <c>backstop snapshot create</c> gets its rules, maskers and key (<see cref="Commands.SnapshotInputs"/>).</summary>
    public Commands.SnapshotInputs Snapshots { get; init; } = Commands.SnapshotInputs.Default;

    /// <summary>Colours on a terminal, plain text into files and tests.</summary>
    public bool Ansi { get; init; }

    public IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = Ansi ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Ansi ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });

        // Into files and pipes, do not wrap messages at 80 columns.
        if (!Ansi)
        {
            console.Profile.Width = 200;
        }

        return console;
    }

    public static CliHost FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        StandardInput = Console.IsInputRedirected ? Console.OpenStandardInput() : null,
        Interactive = !Console.IsInputRedirected,
        WorkingDirectory = Directory.GetCurrentDirectory(),
        Variables = Environment.GetEnvironmentVariable,
        Ansi = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null,
    };
}
