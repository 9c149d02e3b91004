using System.Diagnostics;
using Backstop.Postgres.Sandbox;

namespace Backstop.Postgres.Tools;

/// <summary>
/// The operating-system user that owns a PostgreSQL data directory. The server's programs (pg_ctl, pg_controldata)
/// and pgBackRest must run as that user: PostgreSQL refuses to run as root, and files pgBackRest writes into the
/// data directory or the repository must belong to it. When we are root they run through <c>runuser</c>; otherwise
/// we must be that user.
/// </summary>
public sealed class ClusterOwner
{
    private ClusterOwner(string name, bool switchUser)
    {
        Name = name;
        SwitchesUser = switchUser;
    }

    /// <summary>The user sandboxes run as: <c>postgres</c> when we are root (through runuser), else ourselves.</summary>
    public static ClusterOwner Service { get; } = ToolProcess.RunningAsRoot
        ? new ClusterOwner(ToolProcess.ServiceUser, switchUser: true)
        : new ClusterOwner(Environment.UserName, switchUser: false);

    /// <summary>The user's login name, e.g. <c>postgres</c>.</summary>
    public string Name { get; }

    /// <summary>True when programs run through <c>runuser</c> (we are root and the owner is not).</summary>
    public bool SwitchesUser { get; }

    /// <summary>Finds who owns <paramref name="dataDirectory"/> and checks that we may run programs as that user.</summary>
    public static async Task<ClusterOwner> OfAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            return new ClusterOwner(Environment.UserName, switchUser: false);
        }

        var stat = await RunDirectAsync("stat", ["-c", "%U", dataDirectory], cancellationToken);
        if (!stat.Succeeded)
        {
            throw new SandboxException($"cannot read the owner of {dataDirectory}: {stat.ErrorSummary()}");
        }

        var owner = stat.Output.Trim();
        if (ToolProcess.RunningAsRoot)
        {
            return owner == "root"
                ? throw new SandboxException($"{dataDirectory} belongs to root, but PostgreSQL never runs as root; give the data directory of a cluster that its own user runs")
                : new ClusterOwner(owner, switchUser: true);
        }

        return string.Equals(owner, Environment.UserName, StringComparison.Ordinal)
            ? new ClusterOwner(owner, switchUser: false)
            : throw new SandboxException($"{dataDirectory} belongs to '{owner}', and its programs must run as that user; run backstop as '{owner}' (sudo -u {owner} backstop …) or as root");
    }

    /// <summary>
    /// Runs <paramref name="program"/> as the owner, in <c>/</c> (the caller's directory may be closed to that user),
    /// with the C locale (messages are read), and without the caller's <c>PG*</c> variables (<c>PGBACKREST_*</c>
    /// variables are options to pgBackRest, <c>PGDATA</c> and <c>PGPORT</c> change what pg_ctl acts on).
    /// </summary>
    public async Task<ToolResult> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (SwitchesUser)
        {
            info.FileName = "runuser";
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(Name);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(program);
        }
        else
        {
            info.FileName = program;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["LC_ALL"] = "C";
        return await RunProcessAsync(info, Path.GetFileName(program), cancellationToken);
    }

    /// <summary>Gives <paramref name="directory"/> (and what is in it) to the owner; nothing to do when we are the owner.</summary>
    public async Task HandOverAsync(string directory, CancellationToken cancellationToken)
    {
        if (!SwitchesUser)
        {
            return;
        }

        var chown = await RunDirectAsync("chown", ["-R", Name + ":", directory], cancellationToken);
        if (!chown.Succeeded)
        {
            throw new SandboxException($"could not give {directory} to '{Name}': {chown.ErrorSummary()}");
        }
    }

    /// <summary>Whether the owner may create files in <paramref name="directory"/> (every directory above it searchable by that user).</summary>
    public async Task<bool> CanWriteAsync(string directory, CancellationToken cancellationToken) =>
        (await RunAsync("test", ["-w", directory], cancellationToken)).Succeeded
        && (await RunAsync("test", ["-x", directory], cancellationToken)).Succeeded;

    private static Task<ToolResult> RunDirectAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        return RunProcessAsync(info, program, cancellationToken);
    }

    private static async Task<ToolResult> RunProcessAsync(ProcessStartInfo info, string program, CancellationToken cancellationToken)
    {
        using var process = Process.Start(info) ?? throw new SandboxException($"could not start {program}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
            return new ToolResult(program, process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }
}
