using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Pitr;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Recovery.Tests;

[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class PitrTests(PitrPrimary primary) : IClassFixture<PitrPrimary>
{
    [Fact]
    public void Enable_restarted_the_primary_and_recorded_the_settings()
    {
        Assert.True(primary.Enabled.Enabled);
        Assert.Contains(primary.Enabled.Changes, c => c.StartsWith("ALTER SYSTEM SET archive_mode = 'on'", StringComparison.Ordinal));
        Assert.Contains(primary.Enabled.Changes, c => c.StartsWith("restarted the cluster", StringComparison.Ordinal));
        var pitr = primary.Environment.Pitr!;
        Assert.Equal(primary.Cluster.Info.DataDirectory, pitr.DataDirectory);
        Assert.Equal(Path.Combine(primary.Directory, ".backstop", "pitr", "primary", "repo"), pitr.Repository);
        Assert.Equal("primary", pitr.Stanza);
    }

    [Fact]
    public async Task Enable_run_again_changes_nothing()
    {
        var again = await new PitrEnabler(primary.Config, primary.Connector).EnableAsync(
            primary.Environment, new EnableOptions { DataDirectory = primary.Cluster.Info.DataDirectory }, _ => { }, null, CancellationToken.None);

        Assert.True(again.Enabled);
        Assert.Empty(again.Changes);
    }

    [Fact]
    public async Task Backup_first_is_full_next_is_incremental_and_both_are_in_the_catalog()
    {
        var incremental = await primary.BackupAsync(null);

        Assert.EndsWith("F", primary.FirstBackup.Id, StringComparison.Ordinal);
        Assert.EndsWith("I", incremental.Id, StringComparison.Ordinal);
        var recorded = await (await primary.CatalogAsync()).ListAsync("primary", CancellationToken.None);
        Assert.Contains(recorded, b => b.Id == primary.FirstBackup.Id && b.Kind == "pitr" && b.Status == Catalog.BackupStatus.Complete);
        Assert.Contains(recorded, b => b.Id == incremental.Id && b.Kind == "pitr" && b.Status == Catalog.BackupStatus.Complete);
    }

    [Fact]
    public async Task Service_backup_reports_the_type_its_label_names_and_the_first_second_a_clone_can_go_back_to()
    {
        var backup = await new PitrService(primary.Config, primary.Connector).BackupAsync(primary.Environment, "diff", new Progress<string>(), CancellationToken.None);

        Assert.Equal("diff", backup.Type);
        Assert.Matches("^[0-9]{8}-[0-9]{6}F_[0-9]{8}-[0-9]{6}D$", backup.Entry.Id);
        var finished = backup.Entry.FinishedAt!.Value;
        Assert.Equal(finished - backup.Entry.StartedAt, backup.Duration);
        Assert.Equal(finished.AddSeconds(1), backup.RecoverableFrom);
    }

    [Fact]
    public async Task Clone_between_two_writes_holds_exactly_the_rows_written_before_it()
    {
        await PostgresSandbox.ExecuteAsync(primary.AppConnectionString, "CREATE TABLE writes (id int PRIMARY KEY)");
        var committed = new List<DateTimeOffset>();
        for (var id = 1; id <= 3; id++)
        {
            committed.Add(await InsertAndReadClockAsync(id));
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        // Row 2 committed before committed[1]; row 3 a second after it.
        var target = committed[1].AddMilliseconds(400);
        var clone = await PitrCloner.CloneAsync(
            await primary.StanzaAsync(), primary.Connector, new CloneOptions { Time = RecoveryTarget.Display(target), Name = PitrPrimary.TestName() }, null, CancellationToken.None);
        try
        {
            var rows = await ReadIdsAsync(PitrCloner.OwnerConnectionString(clone.Cluster, "postgres", "app"));
            Assert.Equal([1, 2], rows);
            Assert.True(clone.Confirmation.LastReplayedCommit <= target, $"last replayed {clone.Confirmation.LastReplayedCommit}, target {target}");
            Assert.True(clone.Confirmation.StoppedBeforeTime > target, $"stopped before {clone.Confirmation.StoppedBeforeTime}, target {target}");
            Assert.Equal(RecoveryTarget.ToMicroseconds(target), clone.Target);
            Assert.Equal($"postgresql://postgres@127.0.0.1:{clone.Cluster.Info.Port}/app", clone.Url);
            Assert.Contains(SandboxCluster.List(), s => s.Info.Name == clone.Name && s.Running);

            // Promoted: a server of its own that takes writes, and its archive_mode is off (it never archives into the source's repository).
            await PostgresSandbox.ExecuteAsync(PitrCloner.OwnerConnectionString(clone.Cluster, "postgres", "app"), "INSERT INTO writes VALUES (99)");
            Assert.Equal("off", await PostgresSandbox.TextAsync(PitrCloner.OwnerConnectionString(clone.Cluster, "postgres", "app"), "SHOW archive_mode"));
        }
        finally
        {
            await clone.Cluster.StopAsync();
        }

        Assert.Equal([1, 2, 3], await ReadIdsAsync(primary.AppConnectionString));
    }

    [Fact]
    public async Task Clone_before_the_first_backup_is_a_usage_error_naming_the_earliest_time()
    {
        var before = primary.FirstBackup.StartedAt.AddMinutes(-10);
        var stanza = await primary.StanzaAsync();

        var error = await Assert.ThrowsAsync<PitrException>(() => PitrCloner.CloneAsync(
            stanza, primary.Connector, new CloneOptions { Time = RecoveryTarget.Display(before) }, null, CancellationToken.None));

        Assert.True(error.IsUsageError);
        Assert.StartsWith($"{RecoveryTarget.Display(before)} is before the first backup of environment 'primary': the earliest time it can be recovered to is ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"(just after backup {primary.FirstBackup.Id} ended); choose a later time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clone_in_the_future_is_a_usage_error()
    {
        var stanza = await primary.StanzaAsync();

        var error = await Assert.ThrowsAsync<PitrException>(() => PitrCloner.CloneAsync(
            stanza, primary.Connector, new CloneOptions { Time = "2999-01-01T00:00:00Z" }, null, CancellationToken.None));

        Assert.True(error.IsUsageError);
        Assert.StartsWith("2999-01-01T00:00:00Z is in the future (the server's clock reads ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_passes_is_recorded_and_removes_the_clone()
    {
        await PostgresSandbox.ExecuteAsync(primary.AppConnectionString, """
            CREATE TABLE IF NOT EXISTS parents (id int PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS children (id int PRIMARY KEY, parent int);
            INSERT INTO parents SELECT g FROM generate_series(1, 100) g ON CONFLICT DO NOTHING;
            ALTER TABLE children DROP CONSTRAINT IF EXISTS children_parent;
            ALTER TABLE children ADD CONSTRAINT children_parent FOREIGN KEY (parent) REFERENCES parents NOT VALID;
            """);
        var catalog = await primary.CatalogAsync();

        var result = await PitrVerifier.VerifyAsync(
            await primary.StanzaAsync(), primary.Connector, catalog, new VerifyOptions { CloneOptions = new CloneOptions { Name = PitrPrimary.TestName() } }, null, CancellationToken.None);

        Assert.True(result.Passed, string.Join("; ", result.Failures));
        Assert.False(result.ConstraintsSkipped);
        Assert.True(result.Tables >= 2);
        Assert.False(Directory.Exists(result.CloneResult.Cluster.Info.Directory));
        var drill = (await catalog.ListDrillsAsync("primary", CancellationToken.None)).First(d => d.Id == result.DrillId);
        Assert.Equal("pitr", drill.Kind);
        Assert.True(drill.Passed);
        Assert.Equal(RecoveryTarget.Display(result.CloneResult.Target), drill.BackupId);
    }

    [Fact]
    public async Task Verify_constraint_not_valid_on_the_clone_but_validated_since_on_the_source_fails_and_is_recorded()
    {
        await PostgresSandbox.ExecuteAsync(primary.AppConnectionString, """
            CREATE TABLE accounts (id int PRIMARY KEY, balance int);
            ALTER TABLE accounts ADD CONSTRAINT accounts_balance CHECK (balance >= 0) NOT VALID;
            """);
        var target = RecoveryTarget.Display(DateTimeOffset.Parse((await PostgresSandbox.TextAsync(primary.AppConnectionString, "SELECT clock_timestamp()::text"))!, System.Globalization.CultureInfo.InvariantCulture));
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await PostgresSandbox.ExecuteAsync(primary.AppConnectionString, "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance");
        var catalog = await primary.CatalogAsync();

        var result = await PitrVerifier.VerifyAsync(
            await primary.StanzaAsync(), primary.Connector, catalog, new VerifyOptions { CloneOptions = new CloneOptions { Time = target, Name = PitrPrimary.TestName() } }, null, CancellationToken.None);

        Assert.False(result.Passed);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("constraints check failed for public.accounts.accounts_balance: the constraint is NOT VALID on the clone but valid on the source", failure.ToString());
        var drill = (await catalog.ListDrillsAsync("primary", CancellationToken.None)).First(d => d.Id == result.DrillId);
        Assert.False(drill.Passed);
        Assert.Equal("constraints", drill.FailedCheck);
        Assert.Equal("public.accounts.accounts_balance", drill.FailedObject);
        Assert.False(Directory.Exists(result.CloneResult.Cluster.Info.Directory));
    }

    private async Task<DateTimeOffset> InsertAndReadClockAsync(int id)
    {
        await using var connection = new NpgsqlConnection(primary.AppConnectionString);
        await connection.OpenAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO writes VALUES ($1)", connection) { Parameters = { new() { Value = id } } })
        {
            await insert.ExecuteNonQueryAsync();
        }

        await using var clock = new NpgsqlCommand("SELECT clock_timestamp()", connection);
        await using var reader = await clock.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    private static async Task<List<int>> ReadIdsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM writes ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt32(0));
        }

        return ids;
    }
}
