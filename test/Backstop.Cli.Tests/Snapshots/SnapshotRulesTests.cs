using System.Text.Json;
using Backstop.Core.Configuration;
using Backstop.Core.Snapshots.Rules;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests.Snapshots;

/// <summary><c>backstop snapshot rules</c> and the strict check on a live database: suggestions, --write, and every way rules fall behind the schema.</summary>
public sealed class SnapshotRulesTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Rules_suggest_fakes_for_personal_columns_and_keep_for_keys_each_with_its_type()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", SnapshotRulesSchema.Sql);

        var result = await _workspace.RunAsync("snapshot", "rules", "-e", "prod", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var added = json.RootElement.GetProperty("added").EnumerateArray()
            .ToDictionary(a => a.GetProperty("object").GetString()!, a => a.GetProperty("rule").GetString()!, StringComparer.Ordinal);
        Assert.Equal("{ fake: email, type: character varying(200) }", added["public.users.email"]);
        Assert.Equal("{ keep, type: integer }", added["public.users.id"]);
        Assert.Equal("{ keep, type: integer }", added["public.users.organization_id"]);
        Assert.Equal("{ keep, type: bigint }", added["public.conversations.lead_id"]);
        Assert.Equal("{ fake: first_name, type: text }", added["public.users.first_name"]);
        Assert.Equal("{ fake: last_name, type: text }", added["public.users.last_name"]);
        Assert.Equal("{ fake: phone, type: text }", added["public.users.phone"]);
        Assert.Equal("{ fake: date_shift, type: date }", added["public.users.date_of_birth"]);
        Assert.Equal("{ fake: ip, type: inet }", added["public.users.last_ip"]);
        Assert.Equal("{ keep, type: text }", added["public.users.status"]);
        Assert.Equal("{ fake: company, type: text }", added["public.leads.company"]);
        Assert.Equal("{ fake: city, type: text }", added["public.leads.city"]);
        Assert.Equal("{ fake: text, type: text }", added["public.conversations.body"]);
        Assert.Equal("{ fake: company, type: text }", added["public.organizations.name"]);
        Assert.DoesNotContain(added.Keys, k => k.StartsWith("backstop_trash", StringComparison.Ordinal));
        // Generated from the masked names when the snapshot is restored: no rule of its own.
        Assert.DoesNotContain("public.users.full_name", added.Keys);
        Assert.Empty(json.RootElement.GetProperty("problems").EnumerateArray());
        Assert.Contains("      key: \"env:BACKSTOP_SNAPSHOT_KEY\"\n", json.RootElement.GetProperty("yaml").GetString(), StringComparison.Ordinal);
        Assert.Contains("            email: { fake: email, type: character varying(200) }  # new: the name looks like an email\n", json.RootElement.GetProperty("yaml").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_write_then_the_strict_check_passes_and_the_rules_read_back()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", SnapshotRulesSchema.Sql);

        var written = await _workspace.RunAsync("snapshot", "rules", "-e", "prod", "--write");

        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.Contains("wrote 20 new rule(s)", written.Error, StringComparison.Ordinal);
        var settings = ConfigLoader.Load(_workspace.ConfigPath).Environment("prod").Snapshot;
        Assert.Equal(["public.conversations", "public.leads", "public.organizations", "public.users"], settings.Tables.Select(t => $"{t.Schema}.{t.Table}"));
        var check = await CheckAsync(database);
        Assert.True(check.Passed, string.Join('\n', check.Problems));
        Assert.Equal(4, check.Tables.Count);

        var again = await _workspace.RunAsync("snapshot", "rules", "-e", "prod");
        Assert.Contains("every table and column of environment 'prod' has a rule already", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_new_column_fails_naming_it_until_its_rule_is_added()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", SnapshotRulesSchema.Sql);
        Assert.Equal(0, (await _workspace.RunAsync("snapshot", "rules", "-e", "prod", "--write")).ExitCode);
        await PostgresSandbox.ExecuteAsync(database, "ALTER TABLE users ADD COLUMN ssn text");

        var check = await CheckAsync(database);

        var problem = Assert.Single(check.Problems);
        Assert.Equal("public.users.ssn", problem.Object);
        Assert.Equal("the column (text) has no rule", problem.Reason);
        Assert.StartsWith("add `ssn: { hash, type: text }` under snapshot.tables.public.users.columns", problem.Fix, StringComparison.Ordinal);
        var error = Assert.Throws<ConfigException>(() => check.ThrowIfFailed("prod"));
        Assert.StartsWith("the snapshot rules of environment 'prod' do not cover its schema (1 problem); nothing was written:\n  - public.users.ssn: the column (text) has no rule; add `ssn: { hash, type: text }`", error.Message, StringComparison.Ordinal);

        var rules = await _workspace.RunAsync("snapshot", "rules", "-e", "prod", "--write", "--json");
        using var json = JsonDocument.Parse(rules.Out);
        Assert.Equal("public.users.ssn", Assert.Single(json.RootElement.GetProperty("added").EnumerateArray()).GetProperty("object").GetString());
        (await CheckAsync(database)).ThrowIfFailed("prod");
    }

    [Fact]
    public async Task Check_rule_of_a_dropped_column_and_a_changed_type_each_fail_naming_the_column()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", SnapshotRulesSchema.Sql);
        Assert.Equal(0, (await _workspace.RunAsync("snapshot", "rules", "-e", "prod", "--write")).ExitCode);
        await PostgresSandbox.ExecuteAsync(database, "ALTER TABLE users DROP COLUMN phone; ALTER TABLE leads ALTER COLUMN score TYPE bigint; DROP TABLE conversations");

        var check = await CheckAsync(database);

        Assert.Equal(
            [
                ("public.leads.score", "the column is now bigint, but its rule was written for integer"),
                ("public.users.phone", "the rule names a column that does not exist (dropped or renamed?)"),
                ("public.conversations", "the rules name a table that does not exist (dropped or renamed?)"),
            ],
            check.Problems.Select(p => (p.Object, p.Reason)));
        Assert.Equal("check that the rule still fits the new type, then record it: `score: { keep, type: bigint }`", check.Problems[0].Fix);
    }

    [Fact]
    public async Task Rules_keep_rules_written_by_hand_and_add_only_the_missing_ones()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", SnapshotRulesSchema.Sql);
        await _workspace.AddSettingAsync("prod", """
            snapshot:
                  key: file:/etc/backstop/snapshot.key
                  tables:
                    public.users:
                      where: "id % 10 = 0"
                      columns:
                        email: { hash, type: character varying(200) }
                    public.conversations: { exclude: true }
            """);

        var result = await _workspace.RunAsync("snapshot", "rules", "-e", "prod", "--write");

        Assert.True(result.ExitCode == 0, result.ToString());
        var settings = ConfigLoader.Load(_workspace.ConfigPath).Environment("prod").Snapshot;
        Assert.Equal("file:/etc/backstop/snapshot.key", settings.KeyReference);
        var users = settings.Tables.Single(t => t.Table == "users");
        Assert.Equal("id % 10 = 0", users.Where);
        Assert.Equal(new Core.Snapshots.ColumnRule("email", Core.Snapshots.MaskKind.Hash, null, "character varying(200)"), users.Columns[0]);
        Assert.Equal(10, users.Columns.Count);
        Assert.True(settings.Tables.Single(t => t.Table == "conversations").Exclude);
    }

    /// <summary>The check <c>snapshot create</c> runs first, with the rules backstop.yaml has now.</summary>
    [Fact]
    public async Task Rules_print_the_section_to_paste_with_new_rules_marked()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", SnapshotRulesSchema.Sql);

        var result = await _workspace.RunAsync("snapshot", "rules", "-e", "prod");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("    snapshot:\n      key: \"env:BACKSTOP_SNAPSHOT_KEY\"\n      locale: en\n      tables:\n        public.conversations:\n          columns:\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("            id: { keep, type: bigint }  # new: a primary or foreign key: kept so that rows still join\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("20 new rule(s), marked # new", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("snapshot:", await File.ReadAllTextAsync(_workspace.ConfigPath), StringComparison.Ordinal);
    }

    private async Task<SnapshotRulesCheckResult> CheckAsync(string database)
    {
        var settings = ConfigLoader.Load(_workspace.ConfigPath).Environment("prod").Snapshot;
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        return await SnapshotRulesCheck.CheckAsync(connection, settings, CancellationToken.None);
    }
}
