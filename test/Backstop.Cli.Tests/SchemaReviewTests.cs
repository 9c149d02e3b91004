using System.Text.Json;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary><c>backstop review</c> on a live database: the cascade incident's schema, the fixes, suppressions and exit codes.</summary>
public sealed class SchemaReviewTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Review_deleting_one_organization_reaches_users_leads_conversations_and_the_audit_trail_within_a_factor_of_two()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql);
        var removed = await RemovedPerOrganizationAsync(database);
        var worstTruth = removed.Max();
        var averageTruth = removed.Average();
        Assert.Equal(worstTruth, await RowsADeleteRemovesAsync(database, "DELETE FROM organizations WHERE id = 20"));

        var result = await _workspace.RunAsync("review", "-e", "dev", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var cascade = json.RootElement.GetProperty("cascades").EnumerateArray().Single(c => c.GetProperty("table").GetString() == "public.organizations");
        Assert.True(cascade.GetProperty("estimated").GetBoolean());
        var reached = cascade.GetProperty("reaches").EnumerateArray().Select(s => s.GetProperty("table").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["public.audit_trail", "public.conversations", "public.leads", "public.users"], reached);
        var worst = cascade.GetProperty("rowsWorst").GetDouble();
        var average = cascade.GetProperty("rowsAverage").GetDouble();
        Assert.InRange(worst, worstTruth / 2.0, worstTruth * 2.0);
        Assert.InRange(average, averageTruth / 2.0, averageTruth * 2.0);
        Assert.True(worst > average, $"worst {worst}, average {average}");
        // Ranked: the widest reach first.
        Assert.Equal("public.organizations", json.RootElement.GetProperty("cascades")[0].GetProperty("table").GetString());
        var finding = Finding(json, "cascade-blast-radius", "public.organizations");
        Assert.Equal("high", finding.GetProperty("severity").GetString());
        Assert.Contains("estimates from statistics", finding.GetProperty("why").GetString(), StringComparison.Ordinal);

        var human = await _workspace.RunAsync("review", "-e", "dev");
        Assert.Contains("Blast radius of a one-row DELETE", human.Out, StringComparison.Ordinal);
        Assert.Contains("cascade-without-index", human.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_foreign_key_without_an_index_is_found_and_its_fix_creates_the_index()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql);

        using var before = JsonDocument.Parse((await _workspace.RunAsync("review", "-e", "dev", "--json")).Out);

        var finding = Finding(before, "fk-without-index", "public.notes.notes_lead_id_fkey");
        Assert.Equal("CREATE INDEX CONCURRENTLY ON \"public\".\"notes\" (\"lead_id\");", finding.GetProperty("fix").GetString());
        var cascade = Finding(before, "cascade-without-index", "public.audit_trail.audit_trail_user_id_fkey");
        Assert.Equal("high", cascade.GetProperty("severity").GetString());
        // Covered by the leading column of a composite index: not reported.
        Assert.DoesNotContain(Findings(before), f => f.GetProperty("object").GetString() == "public.leads.leads_user_id_fkey");

        await PostgresSandbox.ExecuteAsync(database, finding.GetProperty("fix").GetString()!);

        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_index WHERE indrelid = 'notes'::regclass AND indisvalid AND indkey[0] = 2"));
        using var after = JsonDocument.Parse((await _workspace.RunAsync("review", "-e", "dev", "--json")).Out);
        Assert.DoesNotContain(Findings(after), f => f.GetProperty("rule").GetString() == "fk-without-index");
    }

    [Fact]
    public async Task Review_table_without_a_key_is_found_and_an_expired_suppression_counts_again()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql);
        await _workspace.AddSettingAsync("dev", """
            review:
                  suppress:
                    - rule: table-without-key
                      object: public.page_views
                      owner: ana
                      reason: append-only log, never undone
                      expires: 2026-01-31
                    - rule: fk-without-index
                      object: public.notes.notes_lead_id_fkey
                      owner: ben
                      reason: notes are never deleted
                      expires: 2027-06-30
            """);

        var result = await _workspace.RunAsync("review", "-e", "dev", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var keyless = Finding(json, "table-without-key", "public.page_views");
        Assert.False(keyless.GetProperty("suppressed").GetBoolean());
        Assert.True(keyless.GetProperty("suppression").GetProperty("expired").GetBoolean());
        var accepted = Finding(json, "fk-without-index", "public.notes.notes_lead_id_fkey");
        Assert.True(accepted.GetProperty("suppressed").GetBoolean());
        Assert.Equal(1, json.RootElement.GetProperty("suppressedCount").GetInt32());
        Assert.Equal(0, (await _workspace.RunAsync("review", "-e", "dev", "--fail-on", "critical")).ExitCode);

        var human = await _workspace.RunAsync("review", "-e", "dev");
        Assert.Contains("suppression expired on 2026-01-31 (owner ana", human.Out, StringComparison.Ordinal);

        // The suppression of page_views has lapsed, so it fails a build that fails on medium; the notes one holds.
        var failOn = await _workspace.RunAsync("review", "-e", "dev", "--fail-on", "medium", "--json");
        Assert.Equal(1, failOn.ExitCode);
        Assert.True(JsonDocument.Parse(failOn.Out).RootElement.GetProperty("failed").GetBoolean());
    }

    [Fact]
    public async Task Review_suppression_without_an_owner_is_a_configuration_error_naming_the_fix()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE t (a int)");
        await _workspace.AddSettingAsync("dev", """
            review:
                  suppress:
                    - rule: table-without-key
                      object: public.t
                      reason: scratch
                      expires: 2027-01-31
            """);

        var result = await _workspace.RunAsync("review", "-e", "dev");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("has no 'owner'", result.Error, StringComparison.Ordinal);
        Assert.Contains("rule, object, owner, reason and expires", result.Error.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_fail_on_high_exits_1_and_an_unknown_severity_is_a_usage_error()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql);

        Assert.Equal(1, (await _workspace.RunAsync("review", "-e", "dev", "--fail-on", "high")).ExitCode);
        var wrong = await _workspace.RunAsync("review", "-e", "dev", "--fail-on", "severe");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("use info, low, medium, high or critical", wrong.Error, StringComparison.Ordinal);
    }

    internal static IEnumerable<JsonElement> Findings(JsonDocument json) => json.RootElement.GetProperty("findings").EnumerateArray();

    internal static JsonElement Finding(JsonDocument json, string rule, string target)
    {
        var matches = Findings(json).Where(f => f.GetProperty("rule").GetString() == rule && f.GetProperty("object").GetString() == target).ToList();
        Assert.True(matches.Count == 1, $"expected one {rule} on {target}; found:\n" + string.Join("\n", Findings(json).Select(f => f.GetProperty("rule").GetString() + " " + f.GetProperty("object").GetString())));
        return matches[0];
    }

    private static async Task<List<long>> RemovedPerOrganizationAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(SchemaReviewSchema.RemovedPerOrganization, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new List<long>();
        while (await reader.ReadAsync())
        {
            counts.Add(reader.GetInt64(0));
        }

        return counts;
    }

    /// <summary>Runs the DELETE for real in a transaction that is rolled back, and counts what it removed from the other tables.</summary>
    private static async Task<long> RowsADeleteRemovesAsync(string database, string delete)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var run = new NpgsqlCommand(delete, connection, transaction))
        {
            await run.ExecuteNonQueryAsync();
        }

        await using var count = new NpgsqlCommand("SELECT sum(n_tup_del) FROM pg_stat_xact_user_tables WHERE relname <> 'organizations'", connection, transaction);
        var removed = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        await transaction.RollbackAsync();
        return removed;
    }
}
