using System.Globalization;
using System.Security.Cryptography;

namespace Backstop.Testing.Clients;

/// <summary>
/// node-postgres through test/clients/node/client.js, its packages installed by <c>npm ci</c> from the committed
/// package-lock.json once per test process (skipped when node_modules already holds that lock's packages; test
/// processes running at once take turns through a lock file). Parameters are written <c>$1</c>, <c>$2</c>….
/// </summary>
internal sealed class NodeClient : IClientHarness
{
    private const string Stamp = ".backstop-installed";

    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);

    private NodeClient()
    {
    }

    public static NodeClient Instance { get; } = new();

    public string Name => "node-postgres";

    public string Parameter(int number) => "$" + number.ToString(CultureInfo.InvariantCulture);

    public Task PrepareAsync() => Installed.Value;

    public async Task<IReadOnlyList<ClientResult>> RunAsync(ClientConnection connection, IReadOnlyList<ClientStep> steps, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var directory = await Installed.Value;
        List<string> arguments = [Path.Combine(directory, "client.js"), connection.Host, connection.Port.ToString(CultureInfo.InvariantCulture), connection.Database, connection.User];
        if (connection.RequireTls)
        {
            arguments.Add("require-tls");
        }

        return await ClientProcess.RunAsync(Name, ClientProcess.StartInfo("node", arguments, connection.Password, directory), steps, timeout, cancellationToken);
    }

    private static async Task<string> InstallAsync()
    {
        var directory = Path.Combine(ClientProcess.RepositoryRoot(), "test", "clients", "node");
        var lockFile = Path.Combine(directory, "package-lock.json");
        var wanted = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(lockFile)));
        var stamp = Path.Combine(directory, "node_modules", Stamp);

        // Two test projects may run at once: one installs while the other waits, then finds the stamp.
        var turn = Path.Combine(Path.GetTempPath(), "backstop-npm-ci-" + Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(directory)))[..16] + ".lock");
        await using var held = await TakeTurnAsync(turn, TimeSpan.FromMinutes(5));
        if (File.Exists(stamp) && await File.ReadAllTextAsync(stamp) == wanted)
        {
            return directory;
        }

        await ClientProcess.RunToolAsync("npm ci", ClientProcess.StartInfo("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], password: null, directory), TimeSpan.FromMinutes(5));
        await File.WriteAllTextAsync(stamp, wanted);
        return directory;
    }

    private static async Task<FileStream> TakeTurnAsync(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
