using System.Diagnostics;
using Backstop.Core.Configuration;
using Backstop.Core.State;
using Backstop.Postgres.Connections;
using Backstop.Testing;

namespace Backstop.Core.Tests.State;

/// <summary>A team's machines share one PostgreSQL state database: at once, across versions, without losing a change.</summary>
[Trait("Area", "State")]
public sealed class PostgresStateStoreTests
{
    [Fact]
    public async Task AddAsync_from_two_processes_500_changes_each_at_once_loses_none_and_numbers_them_uniquely()
    {
        var url = await TestState.CreateDatabaseAsync();

        var writers = await Task.WhenAll(WriteAsync(url, 500, "alpha"), WriteAsync(url, 500, "beta"));

        var ids = writers.SelectMany(w => w).ToList();
        Assert.Equal(1000, ids.Count);
        Assert.Equal(1000, ids.Distinct().Count());
        var store = await StateStores.OpenAsync(StateLocation.Postgres(PgUrl.Parse(url)), null, CancellationToken.None);
        var listed = await store.ListAsync(null, 2000, CancellationToken.None);
        Assert.Equal(ids.Order(), listed.Select(c => c.Id).Order());
        Assert.All(listed, c => Assert.Equal(ChangeOutcome.Committed, c.Outcome));
        Assert.Equal(500, listed.Count(c => c.Environment == "alpha"));
        Assert.Equal(500, listed.Count(c => c.Environment == "beta"));
    }

    [Fact]
    public async Task OpenAsync_new_database_from_eight_stores_at_once_migrates_it_once()
    {
        var location = StateLocation.Postgres(PgUrl.Parse(await TestState.CreateDatabaseAsync()));

        var stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => StateStores.OpenAsync(location, null, CancellationToken.None))));
        var ids = await Task.WhenAll(stores.Select(s => s.AddAsync(StateStoreTests.Change("production"), CancellationToken.None)));

        Assert.Equal(8, ids.Distinct().Count());
        Assert.Equal(
            StateSchema.Postgresql.Select(m => (long)m.Version),
            await QueryAsync(location, "SELECT version FROM backstop_state.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task OpenAsync_database_of_a_newer_version_is_refused_naming_both_versions_and_left_as_it_is()
    {
        var location = StateLocation.Postgres(PgUrl.Parse(await TestState.CreateDatabaseAsync()));
        await StateStores.OpenAsync(location, null, CancellationToken.None);
        await PostgresSandbox.ExecuteAsync(location.Url!.ToConnectionString(), "INSERT INTO backstop_state.schema_version (version, name) VALUES (9, 'from_the_future')");

        var error = await Assert.ThrowsAsync<ConfigException>(() => StateStores.OpenAsync(location, null, CancellationToken.None));

        Assert.Equal(
            $"the state database {location.Url} (schema backstop_state) was written by a newer Backstop (its schema version is 9; this Backstop knows versions up to {StateSchema.Version}); " +
            "nothing was read or changed. Upgrade Backstop to use it, or point state: at another database to start a new record",
            error.Message);
        Assert.Equal(StateSchema.Postgresql.Select(m => (long)m.Version).Append(9L), await QueryAsync(location, "SELECT version FROM backstop_state.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task OpenAsync_database_of_version_1_is_migrated_keeping_its_changes_and_says_so()
    {
        var location = StateLocation.Postgres(PgUrl.Parse(await TestState.CreateDatabaseAsync()));
        var connectionString = location.Url!.ToConnectionString();
        await PostgresSandbox.ExecuteAsync(connectionString, StateSchema.Postgresql[0].Sql + """
            ;
            CREATE TABLE backstop_state.schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO backstop_state.schema_version (version, name) VALUES (1, 'changes_and_scripts');
            INSERT INTO backstop_state.scripts VALUES ('9f86', 8, 'SELECT 1', 'SELECT 1');
            INSERT INTO backstop_state.changes (environment, system_identifier, database, host, port, script_sha256, verdict, reasons, impact, os_user, started_at, started_offset_minutes, outcome)
            VALUES ('prod', '1', 'shop', 'db', 5432, '9f86', 'Allow', '[]', '[]', 'alice', '2025-01-15 12:45:12+00', 60, 'Committed');
            """);
        var notices = new List<string>();

        var store = await StateStores.OpenAsync(location, notices.Add, CancellationToken.None);
        var change = Assert.Single(await store.ListAsync(null, 10, CancellationToken.None));

        Assert.Equal([$"migrated the state database {location.Url} from version 1 to {StateSchema.Version}"], notices);
        Assert.Equal("SELECT 1", change.Script);
        Assert.Equal(new DateTimeOffset(2025, 1, 15, 13, 45, 12, TimeSpan.FromHours(1)), change.StartedAt);
        Assert.Equal(TimeSpan.FromHours(1), change.StartedAt.Offset);
        Assert.Equal(0L, (await QueryAsync(location, "SELECT count(*) FROM backstop_state.backups"))[0]);
    }

    /// <summary>Runs the state writer (test/Backstop.StateWriter) in a process of its own; the ids it printed.</summary>
    private static async Task<List<long>> WriteAsync(string url, int count, string label)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Backstop.StateWriter.dll"), url, count.ToString(System.Globalization.CultureInfo.InvariantCulture), label })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"the state writer {label} ended with exit {process.ExitCode}: {await errors}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToList();
    }

    private static async Task<List<long>> QueryAsync(StateLocation location, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(location.Url!.ToConnectionString());
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<long>();
        while (await reader.ReadAsync())
        {
            values.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }

        return values;
    }
}
