using Backstop.Core.State;
using Backstop.Postgres.Connections;
using Backstop.Recovery.Catalog;
using Backstop.Testing;

namespace Backstop.Recovery.Tests;

/// <summary>The backup catalog keeps backups and drills alike in the SQLite file and in a PostgreSQL state database.</summary>
[Trait("Area", "State")]
public sealed class BackupCatalogTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backstop-catalog-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task AddAsync_then_UpdateAsync_reads_back_the_finished_backup_newest_first(string kind)
    {
        var catalog = await OpenAsync(kind);
        var older = Backup("20260101-120000", new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var newer = Backup("20260102-120000", new DateTimeOffset(2026, 1, 2, 12, 0, 0, TimeSpan.FromHours(2)));
        await catalog.AddAsync(older, CancellationToken.None);
        await catalog.AddAsync(newer, CancellationToken.None);
        var finished = newer with
        {
            Status = BackupStatus.Complete,
            FinishedAt = newer.StartedAt.AddSeconds(42),
            SizeBytes = 25_500,
            Tables = 13,
            Rows = 72,
            Message = "ok",
        };

        await catalog.UpdateAsync(finished, CancellationToken.None);
        var listed = await catalog.ListAsync("dev", CancellationToken.None);
        var read = await catalog.GetAsync("dev", newer.Id, CancellationToken.None);

        Assert.Equal([newer.Id, older.Id], listed.Select(b => b.Id));
        Assert.Equal(finished with { StartedAt = finished.StartedAt.ToUniversalTime(), FinishedAt = finished.FinishedAt!.Value.ToUniversalTime() }, read);
        Assert.Null(await catalog.GetAsync("prod", newer.Id, CancellationToken.None));
        Assert.Empty(await catalog.ListAsync("prod", CancellationToken.None));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task AddDrillAsync_numbers_drills_and_lists_them_newest_first(string kind)
    {
        var catalog = await OpenAsync(kind);
        var passed = new DrillEntry
        {
            Environment = "dev",
            BackupId = "20260102-120000",
            Kind = "logical",
            StartedAt = new DateTimeOffset(2026, 1, 2, 13, 0, 0, TimeSpan.Zero),
            FinishedAt = new DateTimeOffset(2026, 1, 2, 13, 0, 12, TimeSpan.Zero),
            Passed = true,
            Durations = """{"restore":2.3}""",
        };
        var failed = passed with { Passed = false, FailedCheck = "rows", FailedObject = "public.orders", Message = "49 rows, 50 expected" };

        var first = await catalog.AddDrillAsync(passed, CancellationToken.None);
        var second = await catalog.AddDrillAsync(failed, CancellationToken.None);
        var drills = await catalog.ListDrillsAsync("dev", CancellationToken.None);

        Assert.Equal(first + 1, second);
        Assert.Equal([failed with { Id = second }, passed with { Id = first }], drills);
        Assert.Empty(await catalog.ListDrillsAsync("prod", CancellationToken.None));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task ListAsync_status_of_a_newer_Backstop_reads_as_Unknown_and_never_as_usable(string kind)
    {
        var location = await LocationAsync(kind);
        var catalog = await BackupCatalogs.OpenAsync(location, null, CancellationToken.None);
        await catalog.AddAsync(Backup("20260101-120000", DateTimeOffset.UnixEpoch), CancellationToken.None);
        await ExecuteAsync(location, "UPDATE {0}backups SET status = 'quarantined'");

        var backup = Assert.Single(await catalog.ListAsync(null, CancellationToken.None));

        Assert.Equal(BackupStatus.Unknown, backup.Status);
        await Assert.ThrowsAsync<InvalidOperationException>(() => catalog.UpdateAsync(backup with { Message = "settled" }, CancellationToken.None));
    }

    private static BackupEntry Backup(string id, DateTimeOffset startedAt) => new()
    {
        Environment = "dev",
        Id = id,
        Kind = "logical",
        Status = BackupStatus.Running,
        Path = "/srv/backups/dev/" + id,
        Database = "shop",
        SystemIdentifier = "7301234567890123456",
        StartedAt = startedAt,
        ProcessId = 4242,
    };

    private async Task<IBackupCatalog> OpenAsync(string kind) => await BackupCatalogs.OpenAsync(await LocationAsync(kind), null, CancellationToken.None);

    private async Task<StateLocation> LocationAsync(string kind) => kind == "sqlite"
        ? StateLocation.File(Path.Combine(_directory, StateLocation.FileName))
        : StateLocation.Postgres(PgUrl.Parse(await TestState.CreateDatabaseAsync()));

    /// <param name="sql">with <c>{0}</c> before each table name, for the PostgreSQL schema.</param>
    private static async Task ExecuteAsync(StateLocation location, string sql)
    {
        if (location.Url is { } url)
        {
            await PostgresSandbox.ExecuteAsync(url.ToConnectionString(), string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, StateSchema.PostgresSchema + "."));
            return;
        }

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location.FilePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new Microsoft.Data.Sqlite.SqliteCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, ""), connection);
        await command.ExecuteNonQueryAsync();
    }
}
