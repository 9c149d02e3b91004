using Backstop.Recovery.Backups;
using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Tests.Backups;

/// <summary>Which backup a verify, restore or repair gets, read from a real catalog file.</summary>
public sealed class UsableBackupTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 2, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "backstop-usable-" + Guid.NewGuid().ToString("N")[..8]);
    private IBackupCatalog _catalog = null!;

    public async Task InitializeAsync()
    {
        _catalog = await BackupCatalogs.OpenAsync(Core.State.StateLocation.File(Path.Combine(_directory, "state.db")), null, CancellationToken.None);
        await AddAsync("20261123-020000", "shop", BackupStatus.Complete, Monday);
        await AddAsync("20261124-020000", "shop", BackupStatus.Failed, Monday.AddDays(1), "pg_dump failed (exit 1): permission denied for table payments");
        await AddAsync("20261124-030000", "crm", BackupStatus.Complete, Monday.AddDays(1).AddHours(1));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task FindAsync_without_id_is_the_latest_complete_backup_of_the_database_asked_for()
    {
        Assert.Equal("20261124-030000", (await UsableBackup.FindAsync(_catalog, "prod", null, null, CancellationToken.None)).Id);
        Assert.Equal("20261123-020000", (await UsableBackup.FindAsync(_catalog, "prod", null, "shop", CancellationToken.None)).Id);
    }

    [Theory]
    [InlineData("prod", "20261124-020000", null, "backup 20261124-020000 of prod is failed, not complete, so it cannot be used (pg_dump failed (exit 1): permission denied for table payments)")]
    [InlineData("prod", "20261101-000000", null, "prod has no backup '20261101-000000'; `backstop backup list -e prod` shows them")]
    [InlineData("prod", null, "billing", "prod has no complete backup of database billing; take one with `backstop backup run -e prod --database billing`")]
    [InlineData("stage", null, null, "stage has no complete backup; take one with `backstop backup run -e stage`")]
    public async Task FindAsync_a_backup_that_cannot_be_used_is_a_usage_error_that_says_what_to_do(string environment, string? id, string? database, string message)
    {
        var error = await Assert.ThrowsAsync<BackupException>(() => UsableBackup.FindAsync(_catalog, environment, id, database, CancellationToken.None));

        Assert.True(error.IsUsageError);
        Assert.Equal(message, error.Message);
    }

    private Task AddAsync(string id, string database, BackupStatus status, DateTimeOffset at, string? message = null) =>
        _catalog.AddAsync(
            new BackupEntry
            {
                Environment = "prod", Id = id, Kind = "logical", Status = status, Path = Path.Combine(_directory, id), Database = database,
                SystemIdentifier = "7301", StartedAt = at, FinishedAt = at.AddMinutes(3), Message = message,
            },
            CancellationToken.None);
}
