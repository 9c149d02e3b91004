using System.Diagnostics;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// The real `backstop` binary as one person of a team runs it: a process of its own with that person's credentials
/// directory (XDG_CONFIG_HOME), optional standard input, and a working directory without a backstop.yaml, so that
/// everything it does goes through the server.
/// </summary>
internal sealed class TeamCli
{
    public TeamCli(string name, string root)
    {
        Name = name;
        Home = Path.Combine(root, "people", name);
        Directory.CreateDirectory(Path.Combine(Home, "work"));
    }

    public string Name { get; }

    /// <summary>Stands in for the person's ~/.config: their credentials file is under it.</summary>
    public string Home { get; }

    public string WorkingDirectory => Path.Combine(Home, "work");

    public string CredentialsPath => Path.Combine(Home, "backstop", "credentials");

    /// <summary>More variables for this person's CLI (SSL_CERT_FILE, say).</summary>
    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    public Task<CliResult> LoginAsync(string url, string password) => RunWithInputAsync(password + "\n", "login", url, "--user", Name, "--password-stdin");

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public async Task<CliResult> RunWithInputAsync(string? input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "backstop.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["XDG_CONFIG_HOME"] = Home;
        info.Environment.Remove("BACKSTOP_SERVER");
        info.Environment.Remove("BACKSTOP_TOKEN");
        info.Environment.Remove("BACKSTOP_CONFIG");
        foreach (var (name, value) in Variables)
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
