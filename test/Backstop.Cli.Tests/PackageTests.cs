using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Backstop.Core.State;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// scripts/package.sh builds what a user installs, and both forms run: the .NET tool installed by
/// `dotnet tool install`, and the self-contained single file with SQLite's native library and time zones inside.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class PackageTests : IDisposable
{
    private static readonly string[] Commands = ["init", "env", "check", "run", "changes", "undo", "trash", "backup", "repair", "pitr"];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "backstop-package-" + Guid.NewGuid().ToString("N")[..8]);

    public PackageTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Package_script_tool_and_single_file_install_and_run_without_a_database()
    {
        var repository = RepositoryRoot();
        var version = VersionOf(repository);
        var artifacts = Path.Combine(_directory, "artifacts");

        var packaged = await RunAsync(Path.Combine(repository, "scripts", "package.sh"), [artifacts], repository, TimeSpan.FromMinutes(6));

        Assert.True(packaged.ExitCode == 0, packaged.ToString());
        var nupkg = Path.Combine(artifacts, "nupkg", $"Backstop.{version}.nupkg");
        var binary = Path.Combine(artifacts, "linux-x64", "backstop");
        Assert.True(File.Exists(nupkg), packaged.ToString());
        Assert.Contains($"dotnet tool install --global --add-source {artifacts}/nupkg Backstop --version {version}", packaged.Out, StringComparison.Ordinal);

        // Its own package folder: the user's would hold an earlier build of the same version and install that instead.
        var tools = Path.Combine(_directory, "tools");
        var installed = await RunAsync(
            "dotnet",
            ["tool", "install", "--tool-path", tools, "--configfile", LocalOnlyNuGetConfig(), "--add-source", Path.GetDirectoryName(nupkg)!, "Backstop", "--version", version],
            _directory,
            TimeSpan.FromMinutes(2),
            nugetPackages: Path.Combine(_directory, "nuget-packages"));
        Assert.True(installed.ExitCode == 0, installed.ToString());

        foreach (var backstop in new[] { Path.Combine(tools, "backstop"), binary })
        {
            await AssertHelpAndVersionAsync(backstop, version);
        }

        await AssertInitEnvListAndChangesAsync(binary);
    }

    private async Task AssertHelpAndVersionAsync(string backstop, string version)
    {
        var help = await RunAsync(backstop, ["--help"], _directory, TimeSpan.FromMinutes(1));
        var printed = await RunAsync(backstop, ["--version"], _directory, TimeSpan.FromMinutes(1));

        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (var command in Commands)
        {
            Assert.Matches(new Regex($"^  {command}\\b", RegexOptions.Multiline), help.Out);
        }

        Assert.True(printed.ExitCode == 0, printed.ToString());
        Assert.Matches($"^{Regex.Escape(version)}(\\+[0-9a-f]+)?$", printed.Out.Trim());
    }

    /// <summary>SQLite's native library (the state file) and an IANA time zone, in the single file with invariant globalization.</summary>
    private async Task AssertInitEnvListAndChangesAsync(string backstop)
    {
        var workspace = Path.Combine(_directory, "workspace");
        Directory.CreateDirectory(workspace);

        var init = await RunAsync(backstop, ["init"], workspace, TimeSpan.FromMinutes(1));
        Assert.True(init.ExitCode == 0, init.ToString());
        var config = Path.Combine(workspace, "backstop.yaml");
        var starter = await File.ReadAllTextAsync(config);
        await File.WriteAllTextAsync(
            config,
            starter.Replace("environments:\n", "environments:\n  prod:\n    url: postgresql://app@127.0.0.1:1/app\n    tier: production\n    timezone: America/New_York\n", StringComparison.Ordinal));

        var list = await RunAsync(backstop, ["env", "list", "--json"], workspace, TimeSpan.FromMinutes(1));
        var changes = await RunAsync(backstop, ["changes", "--json"], workspace, TimeSpan.FromMinutes(1));

        Assert.True(list.ExitCode == 0, list.ToString());
        using (var listed = JsonDocument.Parse(list.Out))
        {
            var environment = Assert.Single(listed.RootElement.GetProperty("environments").EnumerateArray());
            Assert.Equal("prod", environment.GetProperty("name").GetString());
            Assert.Equal("America/New_York", environment.GetProperty("timezone").GetString());
        }

        Assert.True(changes.ExitCode == 0, changes.ToString());
        using (var recorded = JsonDocument.Parse(changes.Out))
        {
            Assert.Empty(recorded.RootElement.GetProperty("changes").EnumerateArray());
        }

        Assert.True(File.Exists(Path.Combine(workspace, ".backstop", StateLocation.FileName)));
    }

    /// <summary>
    /// The builds run without the servers MSBuild and the compiler leave behind (they would outlive the test holding
    /// its pipes); the single file extracts SQLite's library under the test's directory, not the user's home.
    /// </summary>
    private Task<CliResult> RunAsync(string fileName, IReadOnlyList<string> args, string workingDirectory, TimeSpan timeout, string? nugetPackages = null)
    {
        // dotnet test sets variables for its own MSBuild; a nested build finds the SDK on its own.
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(name => name, string? (_) => null, StringComparer.Ordinal);
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        environment["UseSharedCompilation"] = "false";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = Path.Combine(_directory, "extract");
        if (nugetPackages is not null)
        {
            environment["NUGET_PACKAGES"] = nugetPackages;
        }

        return ExternalProgram.RunAsync(fileName, args, workingDirectory, environment, timeout);
    }

    /// <summary>A NuGet configuration with no source of its own: only --add-source, so no feed's package of the same name is taken instead.</summary>
    private string LocalOnlyNuGetConfig()
    {
        var path = Path.Combine(_directory, "nuget.config");
        File.WriteAllText(path, "<configuration><packageSources><clear /></packageSources></configuration>");
        return path;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Backstop.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Backstop.slnx above {AppContext.BaseDirectory}");
    }

    private static string VersionOf(string repository) =>
        XDocument.Load(Path.Combine(repository, "Directory.Build.props")).Descendants("Version").Single().Value;
}
