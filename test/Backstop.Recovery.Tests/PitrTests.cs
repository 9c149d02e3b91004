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
    public async Task Clone_at_the_lsn_of_a_commit_holds_its_rows_inclusive_and_not_exclusive()
    {
        await PostgresSandbox.ExecuteAsync(primary.AppConnectionString, "CREATE TABLE located (id int PRIMARY KEY); INSERT INTO located VALUES (1)");

        // Inside the transaction, the insert location is where its commit record goes next (nothing else writes to this cluster).
        string commitLsn;
        await using (var connection = new NpgsqlConnection(primary.AppConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand("INSERT INTO located VALUES (2)", connection, transaction))
            {
                await insert.ExecuteNonQueryAsync();
            }

            await using (var location = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()::text", connection, transaction))
            {
                commitLsn = (string)(await location.ExecuteScalarAsync())!;
            }

            await transaction.CommitAsync();
        }

        await PostgresSandbox.ExecuteAsync(primary.AppConnectionString, "INSERT INTO located VALUES (3)");
        var stanza = await primary.StanzaAsync();

        var exclusive = await PitrCloner.CloneAsync(stanza, primary.Connector, new CloneOptions { Lsn = commitLsn, Inclusive = false, Name = PitrPrimary.TestName() }, null, CancellationToken.None);
        try
        {
            Assert.Equal([1], await ReadIdsAsync(PitrCloner.OwnerConnectionString(exclusive.Cluster, "postgres", "app"), "located"));
            Assert.Equal(commitLsn, exclusive.TargetLsn.ToString());
            Assert.False(exclusive.Inclusive);
            Assert.Equal(commitLsn, exclusive.Confirmation.StoppedAtLsn.ToString());
            Assert.False(exclusive.Confirmation.StoppedAfter);
            Assert.True(exclusive.Confirmation.LastReplayedLsn <= exclusive.TargetLsn, $"replayed to {exclusive.Confirmation.LastReplayedLsn}");
            Assert.Equal("off", await PostgresSandbox.TextAsync(PitrCloner.OwnerConnectionString(exclusive.Cluster, "postgres", "app"), "SHOW recovery_target_inclusive"));
        }
        finally
        {
            await exclusive.Cluster.StopAsync();
        }

        var inclusive = await PitrCloner.CloneAsync(stanza, primary.Connector, new CloneOptions { Lsn = commitLsn, Name = PitrPrimary.TestName() }, null, CancellationToken.None);
        try
        {
            Assert.Equal([1, 2], await ReadIdsAsync(PitrCloner.OwnerConnectionString(inclusive.Cluster, "postgres", "app"), "located"));
            Assert.True(inclusive.Confirmation.StoppedAfter);
            Assert.True(inclusive.Confirmation.LastReplayedLsn > inclusive.TargetLsn, $"replayed to {inclusive.Confirmation.LastReplayedLsn}");
        }
        finally
        {
            await inclusive.Cluster.StopAsync();
        }
    }

    [Fact]
    public async Task Clone_lsn_ahead_of_the_server_or_with_a_time_too_is_a_usage_error()
    {
        var stanza = await primary.StanzaAsync();

        var ahead = await Assert.ThrowsAsync<PitrException>(() => PitrCloner.CloneAsync(stanza, primary.Connector, new CloneOptions { Lsn = "FF/0" }, null, CancellationToken.None));
        var both = await Assert.ThrowsAsync<PitrException>(() => PitrCloner.CloneAsync(stanza, primary.Connector, new CloneOptions { Lsn = "0/1", Time = "now" }, null, CancellationToken.None));
        var exclusiveTime = await Assert.ThrowsAsync<PitrException>(() => PitrCloner.CloneAsync(stanza, primary.Connector, new CloneOptions { Inclusive = false }, null, CancellationToken.None));
        var early = await Assert.ThrowsAsync<PitrException>(() => PitrCloner.CloneAsync(stanza, primary.Connector, new CloneOptions { Lsn = "0/1" }, null, CancellationToken.None));

        Assert.True(ahead.IsUsageError && both.IsUsageError && exclusiveTime.IsUsageError && early.IsUsageError);
        Assert.StartsWith("WAL location FF/0 is ahead of the server, which has written WAL up to ", ahead.Message, StringComparison.Ordinal);
        Assert.Equal("give either a time (now) or a WAL location (0/1) to recover to, not both", both.Message);
        Assert.Equal("an exclusive target applies to a WAL location only; give the location with --lsn", exclusiveTime.Message);
        Assert.StartsWith($"WAL location 0/1 is before the end of the first backup of environment 'primary' (backup {primary.FirstBackup.Id} ended at ", early.Message, StringComparison.Ordinal);
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

    private static async Task<List<int>> ReadIdsAsync(string connectionString, string table = "writes")
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id FROM {table} ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt32(0));
        }

        return ids;
    }
}
