using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Backstop.Postgres.Sandbox;

/// <summary>
/// A throwaway PostgreSQL cluster started from the installed binaries: data, socket and log in one
/// directory, listening on a loopback port, trusting local connections, no fsync (it holds nothing
/// that must survive a crash). Tests, the demo and restore drills all use it.
/// </summary>
public sealed partial class SandboxCluster : IAsyncDisposable
{
    private const string InfoFileName = "sandbox.json";

    private SandboxCluster(SandboxInfo info, PgBinaries binaries)
    {
        Info = info;
        Binaries = binaries;
    }

    public SandboxInfo Info { get; }

    public PgBinaries Binaries { get; }

    public string Url => Info.Url;

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Info.Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database};Pooling=false;Application Name=backstop-sandbox";

    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("BACKSTOP_SANDBOX_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "backstop-sandboxes");

    public static async Task<SandboxCluster> StartAsync(SandboxOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var cluster = await CreateDirectoryAsync(options, cancellationToken);
        var info = cluster.Info;
        var binaries = cluster.Binaries;
        try
        {
            progress?.Report("initdb");
            await RunAsync(binaries.Path("initdb"), ["-D", info.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], "initdb", cancellationToken);

            progress?.Report("starting server");
            var settings = SandboxSettings(info);
            settings["max_connections"] = "100";
            foreach (var (key, value) in options.Settings)
            {
                settings[key] = value;
            }

            await File.AppendAllLinesAsync(Path.Combine(info.DataDirectory, "postgresql.conf"), ["", "# Backstop sandbox", .. SettingLines(settings)], cancellationToken);
            await RunAsync(binaries.Path("pg_ctl"), ["start", "-D", info.DataDirectory, "-l", info.LogFile, "-w", "-t", "60"], "pg_ctl start", cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Creates a sandbox's directory and record without a data directory, for one that another program writes into
    /// <see cref="SandboxInfo.DataDirectory"/> (pgBackRest's restore of a point-in-time clone); start it with
    /// <see cref="StartRestoredAsync"/>. It is listed and stopped like any other sandbox. The directory belongs to
    /// the service user when we are root.
    /// </summary>
    public static Task<SandboxCluster> CreateEmptyAsync(SandboxOptions options, CancellationToken cancellationToken = default) =>
        CreateDirectoryAsync(options, cancellationToken);

    /// <summary>
    /// Starts the server on a data directory copied from another cluster. The sandbox's own settings (loopback port,
    /// socket in the sandbox directory, no fsync) and <paramref name="settings"/> are appended to
    /// postgresql.auto.conf, which is read last, so they win over the configuration that came with the copy.
    /// max_connections and the like stay as copied: a server in recovery refuses values below the original's.
    /// </summary>
    public async Task StartRestoredAsync(IReadOnlyDictionary<string, string> settings, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var all = SandboxSettings(Info);
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        await File.AppendAllLinesAsync(Path.Combine(Info.DataDirectory, "postgresql.auto.conf"), ["", "# Backstop sandbox", .. SettingLines(all)], cancellationToken);
        var seconds = ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await RunAsync(Binaries.Path("pg_ctl"), ["start", "-D", Info.DataDirectory, "-l", Info.LogFile, "-w", "-t", seconds], "pg_ctl start", cancellationToken);
    }

    /// <summary>Sandboxes recorded under <paramref name="root"/>, running or not.</summary>
    public static IReadOnlyList<(SandboxInfo Info, bool Running)> List(string? root = null)
    {
        root ??= DefaultRoot;
        if (!Directory.Exists(root))
        {
            return [];
        }

        var result = new List<(SandboxInfo, bool)>();
        foreach (var directory in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var info = ReadInfo(directory);
            if (info is not null)
            {
                result.Add((info, IsRunning(info)));
            }
        }

        return result;
    }

    public static SandboxCluster Find(string name, string? root = null)
    {
        var directory = Path.Combine(root ?? DefaultRoot, name);
        var info = ValidName().IsMatch(name) ? ReadInfo(directory) : null;
        if (info is null)
        {
            var known = List(root).Select(s => s.Info.Name).ToList();
            throw new SandboxException($"there is no sandbox named '{name}'; " + (known.Count == 0 ? "none exist (start one with `backstop sandbox start`)" : "known: " + string.Join(", ", known))) { IsUsageError = true };
        }

        return new SandboxCluster(info, PgBinaries.Find());
    }

    /// <summary>Stops the server (fast shutdown) and removes the directory. Safe to call twice.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => StopAsync(immediate: false, cancellationToken);

    /// <param name="immediate">stop without a shutdown checkpoint (<c>-m immediate</c>): for a cluster whose data is deleted next anyway.</param>
    public async Task StopAsync(bool immediate, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(Info.DataDirectory, "postmaster.pid")))
        {
            var (exitCode, output) = await ToolProcess.RunAsync(Binaries.Path("pg_ctl"), ["stop", "-D", Info.DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60"], cancellationToken);
            if (exitCode != 0 && !immediate && IsRunning(Info))
            {
                // A fast shutdown writes a checkpoint first, which on a busy machine with much dirty data can outlast the
                // wait; the directory is removed next anyway, so nothing is lost by stopping it at once.
                (exitCode, output) = await ToolProcess.RunAsync(Binaries.Path("pg_ctl"), ["stop", "-D", Info.DataDirectory, "-m", "immediate", "-w", "-t", "60"], cancellationToken);
            }

            if (exitCode != 0 && IsRunning(Info))
            {
                throw new SandboxException($"pg_ctl stop failed for sandbox '{Info.Name}': {output.Trim()}");
            }
        }

        try
        {
            Directory.Delete(Info.Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Gone already, or going: another process removing the same abandoned sandbox at the same moment.
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private static bool IsRunning(SandboxInfo info)
    {
        var pidFile = Path.Combine(info.DataDirectory, "postmaster.pid");
        try
        {
            var firstLine = File.Exists(pidFile) ? File.ReadLines(pidFile).FirstOrDefault() : null;
            return int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Directory.Exists($"/proc/{pid}");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static SandboxInfo? ReadInfo(string directory)
    {
        var file = Path.Combine(directory, InfoFileName);
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<SandboxInfo>(File.ReadAllText(file)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<SandboxCluster> CreateDirectoryAsync(SandboxOptions options, CancellationToken cancellationToken)
    {
        var binaries = PgBinaries.Find();
        var root = options.Root ?? DefaultRoot;
        var name = options.Name ?? "sandbox-" + Guid.NewGuid().ToString("N")[..8];
        if (!ValidName().IsMatch(name))
        {
            throw new SandboxException($"the sandbox name '{name}' is not valid; use 1 to 40 letters, digits, '-' or '_'") { IsUsageError = true };
        }

        var directory = Path.Combine(root, name);
        if (Directory.Exists(directory))
        {
            throw new SandboxException($"a sandbox named '{name}' already exists ({directory}); stop it with `backstop sandbox stop {name}` or choose another name") { IsUsageError = true };
        }

        Directory.CreateDirectory(root);
        Directory.CreateDirectory(directory);
        var info = new SandboxInfo
        {
            Name = name,
            Port = options.Port ?? FreeLoopbackPort(),
            Directory = directory,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var cluster = new SandboxCluster(info, binaries);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, InfoFileName), JsonSerializer.Serialize(info), cancellationToken);
            await ToolProcess.HandOverAsync(directory, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.StopAsync(CancellationToken.None);
            throw;
        }
    }

    private static Dictionary<string, string> SandboxSettings(SandboxInfo info) => new(StringComparer.Ordinal)
    {
        ["listen_addresses"] = "127.0.0.1",
        ["port"] = info.Port.ToString(CultureInfo.InvariantCulture),
        ["unix_socket_directories"] = info.Directory,
        ["fsync"] = "off",
        ["synchronous_commit"] = "off",
        ["full_page_writes"] = "off",
    };

    // Settings go into the configuration file rather than through pg_ctl -o, which passes them through a shell.
    private static IEnumerable<string> SettingLines(IReadOnlyDictionary<string, string> settings) =>
        settings.Select(setting => $"{setting.Key} = '{setting.Value.Replace("'", "''", StringComparison.Ordinal)}'");

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await ToolProcess.RunAsync(program, arguments, cancellationToken);
        if (exitCode != 0)
        {
            throw new SandboxException($"{what} failed (exit {exitCode}): {output.Trim()}");
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,40}$")]
    private static partial Regex ValidName();
}
