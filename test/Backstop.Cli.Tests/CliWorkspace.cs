using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>
/// A directory with a backstop.yaml, in which the CLI runs in-process (same parsing, handlers and exit codes as
/// the real binary) with its own input, variables and clock.
/// </summary>
internal sealed class CliWorkspace : IDisposable
{
    /// <summary>A Wednesday noon: outside the default freeze window.</summary>
    public static readonly DateTimeOffset Weekday = new(2026, 11, 18, 12, 0, 0, TimeSpan.Zero);

    private string? _stateSetting;

    public CliWorkspace()
    {
        Directory = Path.Combine(Path.GetTempPath(), "backstop-cli-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset Now { get; set; } = Weekday;

    public string ConfigPath => Path.Combine(Directory, "backstop.yaml");

    /// <summary>The snapshot rules and maskers the commands get (<see cref="Commands.SnapshotInputs"/>).</summary>
    public Commands.SnapshotInputs Snapshots { get; set; } = Commands.SnapshotInputs.Default;

    /// <summary>
    /// Whether commands keep their state in a PostgreSQL database of this workspace's own (<c>state:</c> added to
    /// backstop.yaml before each command), as the suite asks (<see cref="TestState"/>); a test about the SQLite file
    /// sets it false.
    /// </summary>
    public bool StateInPostgres { get; set; } = TestState.InPostgres;

    public static string UrlOf(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
    }

    public async Task<CliResult> RunAsync(params string[] args) => await RunWithInputAsync(new StringReader(""), interactive: false, args);

    public async Task<CliResult> RunWithInputAsync(TextReader input, bool interactive, params string[] args)
    {
        await UseTestStateAsync();
        var output = new StringWriter();
        var error = new StringWriter();
        var host = new CliHost
        {
            Out = output,
            Error = error,
            In = input,
            Interactive = interactive,
            WorkingDirectory = Directory,
            Variables = name => Variables.TryGetValue(name, out var value) ? value : null,
            Clock = new FixedClock(Now),
            Snapshots = Snapshots,
        };
        var exitCode = await BackstopApp.RunAsync(args, host, CancellationToken.None);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>init, then env add NAME for a fresh database of the shared sandbox loaded with <paramref name="schema"/>.</summary>
    public async Task<string> AddEnvironmentAsync(string name, string tier, string schema)
    {
        var connectionString = await PostgresSandbox.CreateDatabaseAsync("cli");
        await PostgresSandbox.ExecuteAsync(connectionString, schema);
        if (!File.Exists(ConfigPath))
        {
            Assert.Equal(0, (await RunAsync("init")).ExitCode);
        }

        var added = await RunAsync("env", "add", name, "--url", UrlOf(connectionString), "--tier", tier);
        Assert.True(added.ExitCode == 0, added.ToString());
        return connectionString;
    }

    /// <summary>Adds a line such as <c>lock_timeout: 500ms</c> to an environment's block of backstop.yaml.</summary>
    public async Task AddSettingAsync(string environment, string setting)
    {
        var text = await File.ReadAllTextAsync(ConfigPath);
        var block = $"  {environment}:\n";
        var at = text.IndexOf(block, StringComparison.Ordinal);
        Assert.True(at >= 0, text);
        await File.WriteAllTextAsync(ConfigPath, text.Insert(at + block.Length, $"    {setting}\n"));
    }

    /// <summary>
    /// Adds the workspace's <c>state:</c> to a backstop.yaml that has none, whoever wrote the file; one that Backstop
    /// cannot read is left as the test wrote it (the command refuses it before it reaches any state).
    /// </summary>
    private async Task UseTestStateAsync()
    {
        if (!StateInPostgres || !File.Exists(ConfigPath))
        {
            return;
        }

        var text = await File.ReadAllTextAsync(ConfigPath);
        if (text.StartsWith("state:", StringComparison.Ordinal) || text.Contains("\nstate:", StringComparison.Ordinal) || !Readable(text))
        {
            return;
        }

        _stateSetting ??= await TestState.SettingAsync();
        await File.WriteAllTextAsync(ConfigPath, text + (text.Length == 0 || text.EndsWith('\n') ? "" : "\n") + _stateSetting + "\n");
    }

    private bool Readable(string text)
    {
        try
        {
            Core.Configuration.ConfigLoader.Parse(text, ConfigPath);
            return true;
        }
        catch (Core.Configuration.ConfigException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
