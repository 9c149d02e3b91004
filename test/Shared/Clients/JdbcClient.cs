using System.Globalization;

namespace Backstop.Testing.Clients;

/// <summary>
/// pgjdbc, the JDBC driver DBeaver uses, through test/clients/jdbc/BackstopJdbcClient.java: compiled with javac
/// against Debian's /usr/share/java/postgresql.jar into a temporary directory once per test process, run with
/// <c>java -cp</c> once per <see cref="RunAsync"/>. Parameters are written <c>?</c>.
/// </summary>
internal sealed class JdbcClient : IClientHarness
{
    public const string DriverJar = "/usr/share/java/postgresql.jar";

    private const string OutputPrefix = "backstop-jdbc-client-";

    private static readonly Lazy<Task<string>> Compiled = new(CompileAsync);

    private JdbcClient()
    {
    }

    public static JdbcClient Instance { get; } = new();

    public string Name => "pgjdbc";

    public string Parameter(int number) => "?";

    /// <summary>Compiles the harness once per process; the directory of its classes.</summary>
    public Task PrepareAsync() => Compiled.Value;

    /// <inheritdoc cref="IClientHarness.RunAsync"/>
    /// <param name="properties">More connection properties for the URL (preferQueryMode, ApplicationName…), never the password.</param>
    public async Task<IReadOnlyList<ClientResult>> RunAsync(ClientConnection connection, IReadOnlyList<ClientStep> steps, TimeSpan timeout, IReadOnlyDictionary<string, string>? properties, CancellationToken cancellationToken = default)
    {
        var classes = await Compiled.Value;
        var start = ClientProcess.StartInfo(
            "java",
            ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classes + Path.PathSeparator + DriverJar, "BackstopJdbcClient", Url(connection, properties), connection.User],
            connection.Password);
        return await ClientProcess.RunAsync(Name, start, steps, timeout, cancellationToken);
    }

    public Task<IReadOnlyList<ClientResult>> RunAsync(ClientConnection connection, IReadOnlyList<ClientStep> steps, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        RunAsync(connection, steps, timeout, properties: null, cancellationToken);

    /// <summary>The JDBC URL: host, port and database, sslmode=require when asked, a connect timeout, and <paramref name="properties"/>.</summary>
    public static string Url(ClientConnection connection, IReadOnlyDictionary<string, string>? properties = null)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal) { ["connectTimeout"] = "30" };
        if (connection.RequireTls)
        {
            query["sslmode"] = "require";
        }

        foreach (var (key, value) in properties ?? new Dictionary<string, string>())
        {
            if (key.Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException("the password goes in ClientConnection (PGPASSWORD), never in the URL", nameof(properties));
            }

            query[key] = value;
        }

        var host = connection.Host.Contains(':', StringComparison.Ordinal) ? $"[{connection.Host}]" : connection.Host;
        return $"jdbc:postgresql://{host}:{connection.Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(connection.Database)}?"
            + string.Join("&", query.Select(pair => Uri.EscapeDataString(pair.Key) + "=" + Uri.EscapeDataString(pair.Value)));
    }

    private static async Task<string> CompileAsync()
    {
        if (!File.Exists(DriverJar))
        {
            throw new ClientHarnessException($"{DriverJar} is missing: Debian's libpostgresql-jdbc-java (scripts/prerequisites.sh installs it)");
        }

        var source = Path.Combine(ClientProcess.RepositoryRoot(), "test", "clients", "jdbc", "BackstopJdbcClient.java");
        SweepAbandoned();
        var output = Directory.CreateTempSubdirectory($"{OutputPrefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(output);
        await ClientProcess.RunToolAsync("javac", ClientProcess.StartInfo("javac", ["-encoding", "UTF-8", "-cp", DriverJar, "-d", output, source], password: null), TimeSpan.FromMinutes(2));
        return output;
    }

    /// <summary>
    /// The test host may be ended before its exit handler runs: remove the classes of test processes that are gone
    /// (named backstop-jdbc-client-PID-…), as <see cref="PostgresSandbox"/> does with their clusters.
    /// </summary>
    private static void SweepAbandoned()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), OutputPrefix + "*"))
        {
            var parts = Path.GetFileName(directory)[OutputPrefix.Length..].Split('-');
            if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                TryDelete(directory);
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover of a few kilobytes in the temporary directory is no reason to fail the run.
        }
    }
}
