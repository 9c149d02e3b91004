using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.State;
using Backstop.Postgres;
using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Catalog;
using Backstop.Recovery.Pitr;
using Backstop.Testing;

namespace Backstop.Recovery.Tests;

/// <summary>
/// A sandbox cluster of its own as the PITR source (point-in-time recovery takes a whole cluster), with a database
/// 'app', a backstop.yaml whose environment 'primary' points at it, PITR enabled (archive_mode needs the restart)
/// and one full backup. Named test-PID-… so that a run killed before its cleanup is swept by the next one.
/// </summary>
public sealed class PitrPrimary : IAsyncLifetime
{
    public const string EnvironmentName = "primary";

    private SandboxCluster? _cluster;

    public SandboxCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "backstop-pitr-" + Guid.NewGuid().ToString("N")[..8]);

    public string ConfigPath => Path.Combine(Directory, "backstop.yaml");

    public string AppConnectionString => Cluster.ConnectionString("app");

    public EnvironmentConnector Connector { get; } = new(_ => null);

    public EnableResult Enabled { get; private set; } = null!;

    public BackupEntry FirstBackup { get; private set; } = null!;

    public BackstopConfig Config => ConfigLoader.Load(ConfigPath);

    public EnvironmentConfig Environment => Config.Environment(EnvironmentName);

    public static string TestName() => $"test-{System.Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    public async Task InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = TestName() });
        await PostgresSandbox.ExecuteAsync(Cluster.ConnectionString(), $"CREATE DATABASE {PgIdentifier.Quote("app")}");
        System.IO.Directory.CreateDirectory(Directory);
        await File.WriteAllTextAsync(ConfigPath, StarterConfig.Text + (await TestState.SettingAsync() is { } state ? "\n" + state + "\n" : ""));
        var url = $"postgresql://postgres@127.0.0.1:{Cluster.Info.Port}/app";
        var (connection, identity) = await EnvironmentConnector.ConnectAsync(EnvironmentName, Postgres.Connections.PgUrl.Parse(url), CancellationToken.None);
        await connection.DisposeAsync();
        ConfigFileEditor.AddEnvironment(ConfigPath, EnvironmentName, url, Tier.Development, null, identity);

        Enabled = await new PitrEnabler(Config, Connector).EnableAsync(
            Environment, new EnableOptions { DataDirectory = Cluster.Info.DataDirectory, Restart = true }, _ => { }, null, CancellationToken.None);
        FirstBackup = await BackupAsync(null);
    }

    public async Task<IBackupCatalog> CatalogAsync() => await BackupCatalogs.OpenAsync(StateLocation.Of(Config, _ => null), null, CancellationToken.None);

    public async Task<PitrStanza> StanzaAsync() => await PitrStanza.OpenAsync(Config, Environment, CancellationToken.None);

    public async Task<BackupEntry> BackupAsync(string? type)
    {
        await using var source = await Connector.OpenAsync(Environment, CancellationToken.None);
        return await PitrBackupRunner.RunAsync(await StanzaAsync(), source, await CatalogAsync(), type, null, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
