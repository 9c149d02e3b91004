using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Policies;
using Backstop.Recovery.Backups;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Recovery.Tests.Backups;

/// <summary>
/// The restore service without the CLI: one real backup of a small database (taken once for the class), restored into
/// a new database and, as prepared, over a non-empty one. What sits between the two steps, the policy and the typed
/// name, is the caller's; these tests show what the prepared target tells it.
/// </summary>
public sealed class BackupRestoreServiceTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "backstop-restore-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly EnvironmentConnector _connector = new(_ => null);
    private string _source = "";
    private string _backupId = "";

    public async Task InitializeAsync()
    {
        _source = await PostgresSandbox.CreateDatabaseAsync("restore_source");
        await PostgresSandbox.ExecuteAsync(_source, "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g;");
        Directory.CreateDirectory(_directory);
        var environment = Config().Environment("dev");
        var run = await new BackupService(Config(), _connector, TimeProvider.System).RunAsync(
            new BackupRunRequest { Environment = environment, Settings = environment.Backup }, new Progress<BackupProgress>(), CancellationToken.None);
        _backupId = run.Entry.Id;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RestoreAsync_into_a_database_that_does_not_exist_creates_it_with_every_row()
    {
        var fresh = Url(_source, "restore_fresh_" + Guid.NewGuid().ToString("N")[..8]);
        var service = new BackupRestoreService(Config(), _connector);

        var target = await service.PrepareAsync(Request(fresh), CancellationToken.None);
        var restored = await service.RestoreAsync(target, CancellationToken.None);

        Assert.Null(target.Objects);
        Assert.False(target.Replaces);
        Assert.Null(restored.SandboxName);
        Assert.Equal(50, await PostgresSandbox.ScalarAsync(ConnectionString(_source, restored.Url.Database), "SELECT count(*) FROM items"));
    }

    [Fact]
    public async Task PrepareAsync_over_a_database_that_holds_objects_is_refused_without_force_and_restores_nothing()
    {
        var error = await Assert.ThrowsAsync<BackupException>(() => new BackupRestoreService(Config(), _connector).PrepareAsync(Request("dev"), CancellationToken.None));

        Assert.True(error.IsUsageError);
        Assert.StartsWith($"database '{new NpgsqlConnectionStringBuilder(_source).Database}' at 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"is not empty \(\d+ objects\); nothing was restored\. Restore into a new database, or use --force", error.Message);
    }

    [Fact]
    public async Task PrepareAsync_with_force_over_an_environment_names_the_environment_and_what_to_type_and_restores_nothing_yet()
    {
        var prepared = await new BackupRestoreService(Config(), _connector).PrepareAsync(Request("dev") with { Force = true }, CancellationToken.None);

        Assert.True(prepared.Replaces);
        Assert.Equal("dev", prepared.Environment?.Name);
        Assert.Equal("dev", prepared.ConfirmationName);
        Assert.Equal(50, await PostgresSandbox.ScalarAsync(_source, "SELECT count(*) FROM items"));
    }

    [Fact]
    public async Task PrepareAsync_to_text_that_is_neither_an_environment_nor_a_url_is_a_usage_error()
    {
        var error = await Assert.ThrowsAsync<BackupException>(() => new BackupRestoreService(Config(), _connector).PrepareAsync(Request("staging"), CancellationToken.None));

        Assert.True(error.IsUsageError);
        Assert.StartsWith("--to is neither an environment nor a valid URL: ", error.Message, StringComparison.Ordinal);
    }

    private BackupRestoreRequest Request(string to) => new() { Environment = Config().Environment("dev"), BackupId = _backupId, To = to };

    private BackstopConfig Config(Verdict destructiveDdl = Verdict.Confirm) => new()
    {
        Path = Path.Combine(_directory, "backstop.yaml"),
        Environments = [new EnvironmentConfig { Name = "dev", Url = Url(_source), Tier = Tier.Development }],
        Policies = new Dictionary<Tier, TierPolicy> { [Tier.Development] = new() { DestructiveDdl = destructiveDdl } },
    };

    private static string Url(string connectionString, string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{Uri.EscapeDataString(builder.Username!)}@{builder.Host}:{builder.Port}/{database ?? builder.Database}";
    }

    private static string ConnectionString(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString;
}
