using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Policies;
using Backstop.Core.State;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Changes;

/// <summary>
/// The change lifecycle without the CLI: a prepared change runs once, only with the authorization its verdict needs,
/// and commits only within the impact it was prepared, judged and authorized with.
/// </summary>
public sealed class ChangeLifecycleTests : IAsyncLifetime, IDisposable
{
    private const string Schema = """
        CREATE TABLE accounts (id int PRIMARY KEY, flagged boolean NOT NULL, balance int NOT NULL);
        INSERT INTO accounts SELECT g, g <= 5, 100 FROM generate_series(1, 20) g;
        CREATE TABLE ledger (id int PRIMARY KEY, amount int NOT NULL);
        INSERT INTO ledger SELECT g, 10 FROM generate_series(1, 200) g;
        """;

    private const string Update = "UPDATE accounts SET balance = balance + 1 WHERE flagged";

    private static readonly TierPolicy Production = TierPolicy.Production with { FreezeWindow = null };

    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("backstop-lifecycle-").FullName;
    private string _connectionString = "";
    private readonly List<ConnectedEnvironment> _targets = [];

    public async Task InitializeAsync()
    {
        _connectionString = await PostgresSandbox.CreateDatabaseAsync("lifecycle");
        await PostgresSandbox.ExecuteAsync(_connectionString, Schema);
    }

    public async Task DisposeAsync()
    {
        foreach (var target in _targets)
        {
            await target.DisposeAsync();
        }
    }

    public void Dispose() => Directory.Delete(_stateDirectory, recursive: true);

    [Fact]
    public async Task A_prepared_change_whose_impact_grew_by_one_row_is_refused_and_changes_nothing()
    {
        var (lifecycle, store) = await LifecycleAsync(Tier.Staging, TierPolicy.Staging);
        var prepared = await lifecycle.PrepareAsync(Request(Update), null, CancellationToken.None);
        Assert.Equal(5, prepared.Preview.Impacts.Sum(i => i.Changed));

        // Between the preview (and its confirmation) and the run, one more row comes to match.
        await PostgresSandbox.ExecuteAsync(_connectionString, "UPDATE accounts SET flagged = true WHERE id = 6");
        var result = await lifecycle.ExecuteAsync(prepared, Authorization.Confirmed("ana"), null, CancellationToken.None);

        Assert.Equal(ChangeOutcome.ImpactChanged, result.Outcome);
        Assert.Contains("public.accounts: updated 5 in the preview, 6 when run", result.Differences);
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(balance) FROM accounts"));
        Assert.Equal(ChangeOutcome.ImpactChanged, (await store.GetAsync(prepared.Id, CancellationToken.None))!.Outcome);
    }

    [Fact]
    public async Task A_prepared_change_runs_once_and_a_second_execution_is_refused()
    {
        var (lifecycle, store) = await LifecycleAsync(Tier.Staging, TierPolicy.Staging);
        var prepared = await lifecycle.PrepareAsync(Request(Update), null, CancellationToken.None);
        Assert.Equal(ChangeOutcome.Prepared, (await store.GetAsync(prepared.Id, CancellationToken.None))!.Outcome);

        var first = await lifecycle.ExecuteAsync(prepared, Authorization.None, null, CancellationToken.None);
        var second = await Assert.ThrowsAsync<ChangeNotRunnableException>(() => lifecycle.ExecuteAsync(prepared, Authorization.None, null, CancellationToken.None));

        Assert.Equal(ChangeOutcome.Committed, first.Outcome);
        Assert.Contains($"change {prepared.Id} is no longer waiting to run (it is committed)", second.Message, StringComparison.Ordinal);
        Assert.Equal(2005, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(balance) FROM accounts"));
    }

    [Fact]
    public async Task Two_sessions_executing_one_prepared_change_at_once_run_it_once()
    {
        var (lifecycle, _) = await LifecycleAsync(Tier.Staging, TierPolicy.Staging);
        var (other, _) = await LifecycleAsync(Tier.Staging, TierPolicy.Staging);
        var prepared = await lifecycle.PrepareAsync(Request(Update), null, CancellationToken.None);

        var runs = new[] { lifecycle, other }.Select(l => Task.Run(() => l.ExecuteAsync(prepared, Authorization.None, null, CancellationToken.None))).ToArray();
        var outcomes = await Task.WhenAll(runs.Select(async r =>
        {
            try
            {
                return (await r).Outcome.ToString();
            }
            catch (ChangeNotRunnableException)
            {
                return "refused";
            }
        }));

        Assert.Equal(["Committed", "refused"], outcomes.Order(StringComparer.Ordinal));
        Assert.Equal(2005, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(balance) FROM accounts"));
    }

    [Fact]
    public async Task An_execution_without_the_confirmation_its_verdict_needs_is_refused_and_can_still_be_confirmed()
    {
        // On staging, changing every row of a table asks for a confirmation.
        var (lifecycle, store) = await LifecycleAsync(Tier.Staging, TierPolicy.Staging);
        var prepared = await lifecycle.PrepareAsync(Request("UPDATE accounts SET balance = 0"), null, CancellationToken.None);
        Assert.Equal(Requirement.Confirmation, prepared.Requires);

        var refused = await Assert.ThrowsAsync<ChangeNotRunnableException>(() => lifecycle.ExecuteAsync(prepared, Authorization.None, null, CancellationToken.None));

        Assert.Contains("it needs a confirmation; nothing was changed", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(balance) FROM accounts"));
        Assert.Equal(ChangeOutcome.Prepared, (await store.GetAsync(prepared.Id, CancellationToken.None))!.Outcome);

        var confirmed = await lifecycle.ExecuteAsync(prepared, Authorization.Confirmed("ana"), null, CancellationToken.None);
        Assert.Equal(ChangeOutcome.Committed, confirmed.Outcome);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(balance) FROM accounts"));
    }

    [Fact]
    public async Task On_production_a_yes_or_a_wrong_name_is_not_enough_and_the_typed_name_is()
    {
        var (lifecycle, _) = await LifecycleAsync(Tier.Production, Production);
        var prepared = await lifecycle.PrepareAsync(Request(Update), null, CancellationToken.None);
        Assert.Equal(Requirement.TypedName, prepared.Requires);

        var yes = await Assert.ThrowsAsync<ChangeNotRunnableException>(() => lifecycle.ExecuteAsync(prepared, Authorization.Confirmed("ana"), null, CancellationToken.None));
        var wrong = await Assert.ThrowsAsync<ChangeNotRunnableException>(() => lifecycle.ExecuteAsync(prepared, Authorization.Typed("ana", "prod2"), null, CancellationToken.None));

        Assert.Contains("needs the environment's name typed (prod)", yes.Message, StringComparison.Ordinal);
        Assert.Contains("the name typed, 'prod2', is not the environment's name 'prod'", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(balance) FROM accounts"));
        Assert.Equal(ChangeOutcome.Committed, (await lifecycle.ExecuteAsync(prepared, Authorization.Typed("ana", "prod"), null, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_change_that_needs_approval_is_not_run_by_its_author_s_own_approval_but_by_a_second_person_s()
    {
        // On production, changing more than half of a table's rows needs a second person.
        var (lifecycle, _) = await LifecycleAsync(Tier.Production, Production);
        var prepared = await lifecycle.PrepareAsync(Request("UPDATE ledger SET amount = 0 WHERE id <= 150"), null, CancellationToken.None);
        Assert.Equal(Requirement.Approval, prepared.Requires);

        var typed = await Assert.ThrowsAsync<ChangeNotRunnableException>(() => lifecycle.ExecuteAsync(prepared, Authorization.Typed("ana", "prod"), null, CancellationToken.None));
        var self = await Assert.ThrowsAsync<ChangeNotRunnableException>(() => lifecycle.ExecuteAsync(prepared, Authorization.Approved("ana"), null, CancellationToken.None));

        Assert.Contains("it needs a second person's approval", typed.Message, StringComparison.Ordinal);
        Assert.Contains("someone other than ana", self.Message, StringComparison.Ordinal);
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(amount) FROM ledger"));
        Assert.Equal(ChangeOutcome.Committed, (await lifecycle.ExecuteAsync(prepared, Authorization.Approved("bo"), null, CancellationToken.None)).Outcome);
        Assert.Equal(500, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT sum(amount) FROM ledger"));
    }

    [Fact]
    public async Task A_denied_change_is_recorded_as_denied_and_nothing_lets_it_run()
    {
        var (lifecycle, store) = await LifecycleAsync(Tier.Production, Production);
        var prepared = await lifecycle.PrepareAsync(Request("DELETE FROM accounts"), null, CancellationToken.None);

        Assert.Equal(Requirement.Refused, prepared.Requires);
        Assert.Equal(ChangeOutcome.Denied, (await store.GetAsync(prepared.Id, CancellationToken.None))!.Outcome);
        await Assert.ThrowsAsync<ChangeNotRunnableException>(() => lifecycle.ExecuteAsync(prepared, Authorization.Approved("bo"), null, CancellationToken.None));
        Assert.Equal(20, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM accounts"));
    }

    [Fact]
    public async Task The_actor_is_the_one_the_request_names()
    {
        var (lifecycle, store) = await LifecycleAsync(Tier.Staging, TierPolicy.Staging);
        var prepared = await lifecycle.PrepareAsync(Request(Update) with { Actor = "carol@example.org" }, null, CancellationToken.None);
        await lifecycle.ExecuteAsync(prepared, Authorization.None, null, CancellationToken.None);

        Assert.Equal("carol@example.org", (await store.GetAsync(prepared.Id, CancellationToken.None))!.OsUser);
    }

    private static ChangeRequest Request(string script) => new() { Script = script, Actor = "ana" };

    private async Task<(ChangeLifecycle Lifecycle, IStateStore Store)> LifecycleAsync(Tier tier, TierPolicy policy)
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var name = tier == Tier.Production ? "prod" : "stage";
        var environment = new EnvironmentConfig { Name = name, Url = "postgresql://localhost/lifecycle", Tier = tier };
        var identity = await ServerIdentity.ReadAsync(connection, "localhost", 5432, CancellationToken.None);
        var target = new ConnectedEnvironment(environment, PgUrl.Parse(environment.Url), connection, identity);
        _targets.Add(target);
        var store = await SqliteStateStore.OpenAsync(Path.Combine(_stateDirectory, "state.db"), CancellationToken.None);
        return (new ChangeLifecycle(target, policy, store, TimeProvider.System), store);
    }
}
