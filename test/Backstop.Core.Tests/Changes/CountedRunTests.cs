using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Core.State;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Changes;

/// <summary>
/// A change whose caller counted its impact runs once, without a dry run, and commits only if the run does exactly what
/// was counted: a count that is short, or that misses a table something else writes, rolls it back.
/// </summary>
public sealed class CountedRunTests : IAsyncLifetime, IDisposable
{
    private const string Schema = """
        CREATE SEQUENCE stamps;
        CREATE TABLE plain (id int PRIMARY KEY, v bigint NOT NULL DEFAULT 0);
        INSERT INTO plain SELECT g FROM generate_series(1, 50) g;
        CREATE TABLE audited (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
        INSERT INTO audited SELECT g FROM generate_series(1, 50) g;
        CREATE TABLE audit (what text NOT NULL);
        CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES ('audited ' || NEW.id); RETURN NULL; END $$;
        CREATE TRIGGER audited_audit AFTER UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION audit_row();
        """;

    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("backstop-counted-").FullName;
    private IStateStore? _store;
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await PostgresSandbox.CreateDatabaseAsync("counted_run");
        await PostgresSandbox.ExecuteAsync(_connectionString, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => Directory.Delete(_stateDirectory, recursive: true);

    [Fact]
    public async Task A_counted_change_runs_its_statement_once_and_commits()
    {
        // nextval() in the SET list shows how often the UPDATE ran: a dry run would have taken 3 values more.
        var result = await RunAsync("UPDATE plain SET v = nextval('stamps') WHERE id <= 3", Counted("plain", updated: 3));

        Assert.Equal(ChangeOutcome.Committed, result.Outcome);
        Assert.True(Assert.Single(result.Preview.Impacts).Counted);
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT last_value FROM stamps"));
        Assert.Equal(6, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(v) FROM plain"));
    }

    [Fact]
    public async Task A_count_one_row_short_rolls_the_change_back()
    {
        var result = await RunAsync("UPDATE plain SET v = 7 WHERE id <= 3", Counted("plain", updated: 2));

        Assert.Equal(ChangeOutcome.ImpactChanged, result.Outcome);
        Assert.Contains("public.plain: updated 2 in the preview, 3 when run", result.Differences);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM plain WHERE v = 7"));
    }

    [Fact]
    public async Task A_count_that_misses_a_table_a_trigger_writes_rolls_the_change_back()
    {
        // The caller claims only audited's rows; its trigger also writes audit, which capture was not set up for.
        var result = await RunAsync("UPDATE audited SET v = 1 WHERE id <= 4", Counted("audited", updated: 4));

        Assert.NotEqual(ChangeOutcome.Committed, result.Outcome);
        Assert.Contains("public.audit", result.Message + string.Join("; ", result.Differences), StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM audited WHERE v = 1"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM audit"));
    }

    [Fact]
    public async Task An_impact_that_does_not_describe_the_statement_is_ignored_and_the_statement_is_dry_run()
    {
        // A count for another table than the statement writes: the usual dry run previews it instead.
        var result = await RunAsync("UPDATE plain SET v = nextval('stamps') WHERE id <= 2", Counted("audited", updated: 2));

        Assert.Equal(ChangeOutcome.Committed, result.Outcome);
        Assert.False(Assert.Single(result.Preview.Impacts).Counted);
        Assert.Equal(4, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT last_value FROM stamps"));
    }

    private static Func<CancellationToken, Task<IReadOnlyList<StatementImpact>?>> Counted(string table, long updated) =>
        _ => Task.FromResult<IReadOnlyList<StatementImpact>?>(
        [
            new StatementImpact
            {
                Index = 0,
                CommandTag = $"UPDATE {updated}",
                RowCount = updated,
                Executed = true,
                Counted = true,
                Tables = [new TableImpact { Schema = "public", Name = table, Updated = updated, RowsBefore = 50, HasPrimaryKey = true }],
            },
        ]);

    private async Task<RunResult> RunAsync(string script, Func<CancellationToken, Task<IReadOnlyList<StatementImpact>?>> counted)
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var environment = new EnvironmentConfig { Name = "stage", Url = "postgresql://localhost/counted", Tier = Tier.Staging };
        await using var target = new ConnectedEnvironment(environment, PgUrl.Parse(environment.Url), connection, new ServerIdentity("1", connection.Database, "localhost", 5432));
        var store = _store ??= await State.TestStores.OpenAsync(State.TestStores.Default, _stateDirectory);
        var lifecycle = new ChangeLifecycle(target, TierPolicy.Staging, store, TimeProvider.System);
        var prepared = await lifecycle.PrepareAsync(new ChangeRequest { Script = script, Actor = "tester", CountedImpact = counted }, progress: null, CancellationToken.None);
        return await lifecycle.ExecuteAsync(prepared, Authorization.Confirmed("tester"), progress: null, CancellationToken.None);
    }
}
