namespace Backstop.Server.Services;

/// <summary>
/// The commands the CLI runs through the server besides check and run (undo, repair, backup, trash): only those, never
/// with a configuration of the caller's choosing, each one audited with its outcome.
/// </summary>
public sealed class CommandService(ServerContext server, ICommandRunner runner)
{
    /// <summary>The verbs a signed-in CLI sends to the server.</summary>
    public static readonly IReadOnlySet<string> Verbs = new HashSet<string>(StringComparer.Ordinal) { "undo", "repair", "backup", "trash", "review" };

    public async Task<CommandResult> RunAsync(SignedInUser user, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count == 0 || !Verbs.Contains(args[0]))
        {
            throw ProblemException.BadRequest($"the server runs only these commands for a signed-in CLI: {string.Join(", ", Verbs)}; `{(args.Count == 0 ? "" : args[0])}` is not one of them");
        }

        if (args.FirstOrDefault(a => a is "--config" or "--local" || a.StartsWith("--config=", StringComparison.Ordinal)) is { } refused)
        {
            throw ProblemException.BadRequest($"{refused} is not for the server: it uses its own configuration; run with --local to work on this machine instead");
        }

        // The server reads and writes no file a caller names: a remote review sends its migration as text (-c) and
        // takes its SARIF log from standard output (--sarif -), which the CLI does for -f and --sarif FILE.
        if (args[0] == "review" && !user.User.MayApprove)
        {
            throw ProblemException.Refused($"the schema review is for approvers and admins (as on the console); {user.Name} is {user.User.Role.ToString().ToLowerInvariant()}");
        }

        if (args[0] == "review" && FileArgument(args) is { } file)
        {
            throw ProblemException.BadRequest($"{file} names a file, which the server does not read or write for a caller; send the migration with -c and take the SARIF log with --sarif -");
        }

        // The server's network position and credentials are not the caller's to point anywhere: a restore --to URL or a
        // repair --from URL would reach a database of the caller's choosing with production's data.
        if (args.FirstOrDefault(a => a.Contains("://", StringComparison.Ordinal) || a.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) && a.Contains('@', StringComparison.Ordinal)) is { } url)
        {
            throw ProblemException.BadRequest(
                $"through the server, commands name environments, backups and point-in-time sources, not database URLs ('{Mask(url)}'); add the database as an environment of the server, or run with --local on a machine that has its credentials");
        }

        // --local: the server's own credentials file, if it had one, must not send the command on again.
        string[] full = ["--config", server.Config.Path, "--local", .. args];
        var result = await runner.RunAsync(full, user.Name, cancellationToken);
        var action = args.Count > 1 && !args[1].StartsWith('-') && args[0] is "backup" or "trash" ? $"{args[0]}.{args[1]}" : args[0];
        await server.Audit.RecordAsync(new AuditEvent(user.Name, user.From, action, Environment(args), null, Outcome(result.ExitCode), new Dictionary<string, string>
        {
            ["command"] = string.Join(' ', args),
            ["exitCode"] = result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }), CancellationToken.None);
        return result;
    }

    /// <summary>A URL as the caller gave it, with anything between :// and @ (a user and password) hidden.</summary>
    private static string Mask(string url) =>
        url.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0 && url.IndexOf('@', scheme) is var at and > 0
            ? url[..(scheme + 3)] + "…" + url[at..]
            : url;

    private static string? Environment(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] is "-e" or "--env")
            {
                return args[i + 1];
            }
        }

        return null;
    }

    private static string Outcome(int exitCode) => exitCode switch
    {
        0 => "ok",
        3 => "denied",
        4 => "needs-confirmation",
        5 => "conflicts",
        _ => "failed",
    };

    private static string? FileArgument(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a is "-f" or "--file" || a.StartsWith("--file=", StringComparison.Ordinal))
            {
                return a;
            }

            if ((a == "--sarif" && i + 1 < args.Count && args[i + 1] != "-") || (a.StartsWith("--sarif=", StringComparison.Ordinal) && a != "--sarif=-"))
            {
                return "--sarif";
            }
        }

        return null;
    }
}
