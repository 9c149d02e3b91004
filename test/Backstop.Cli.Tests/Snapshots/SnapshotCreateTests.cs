using System.Text.Json;
using Backstop.Core.Snapshots;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests.Snapshots;

/// <summary>snapshot create / list / load against a real database: usable, proven, no original value left, subsets that do not dangle.</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class SnapshotCreateTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public SnapshotCreateTests() => _workspace.Variables[SnapshotRules.KeyVariable] = "a test key that is long enough to be a key";

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Create_with_every_personal_column_masked_is_usable_and_loads_with_every_foreign_key_joining_and_no_original_value()
    {
        var source = await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql);
        _workspace.Snapshots = SnapshotRules.Inputs(SnapshotRules.Masked());

        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        using var created = JsonDocument.Parse(create.Out);
        var id = created.RootElement.GetProperty("id").GetString()!;
        Assert.Equal("usable", created.RootElement.GetProperty("status").GetString());
        Assert.Equal(3 + 100 + 1000 + 5000 + 2000, created.RootElement.GetProperty("rows").GetInt64());
        Assert.True(created.RootElement.GetProperty("leakScan").GetProperty("sampledValues").GetInt32() > 1000);

        var list = await _workspace.RunAsync("snapshot", "list", "--json");
        using (var listed = JsonDocument.Parse(list.Out))
        {
            var only = Assert.Single(listed.RootElement.GetProperty("snapshots").EnumerateArray());
            Assert.Equal(id, only.GetProperty("id").GetString());
            Assert.True(only.GetProperty("usable").GetBoolean());
            Assert.Equal(5, only.GetProperty("tables").GetInt32());
        }

        var target = TargetUrl(source);
        var load = await _workspace.RunAsync("snapshot", "load", id, "--to", target, "--json");
        Assert.True(load.ExitCode == 0, load.ToString());
        var loaded = ConnectionStringOf(source, target);

        foreach (var table in new[] { "organizations", "users", "leads", "conversations", "orders" })
        {
            Assert.Equal(await PostgresSandbox.ScalarAsync(source, $"SELECT count(*) FROM {table}"), await PostgresSandbox.ScalarAsync(loaded, $"SELECT count(*) FROM {table}"));
        }

        // The foreign keys and the unique email were created over the data by pg_restore, so they hold; and the keys join as in the source.
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM conversations c JOIN leads l ON l.id = c.lead_id JOIN users u ON u.id = l.user_id JOIN organizations o ON o.id = u.organization_id"));
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(DISTINCT email) FROM users"));
        // Fake emails that still look like emails (a unique column's embed part of the keyed hash).
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM users WHERE email !~ '^[^@\\s]+@[^@\\s]+\\.[a-z]+$'"));
        Assert.Equal(101, await PostgresSandbox.ScalarAsync(loaded, "SELECT nextval('users_id_seq')"));

        // No original name, email, phone or text anywhere in the loaded database.
        var originals = await ValuesAsync(source, "SELECT name FROM users UNION SELECT email FROM users UNION SELECT phone FROM users UNION SELECT name FROM leads UNION SELECT email FROM leads UNION SELECT phone FROM leads UNION SELECT body FROM conversations");
        var found = await ValuesAsync(loaded, "SELECT v FROM (SELECT name v FROM users UNION ALL SELECT email FROM users UNION ALL SELECT phone FROM users UNION ALL SELECT name FROM leads UNION ALL SELECT email FROM leads UNION ALL SELECT phone FROM leads UNION ALL SELECT body FROM conversations) s WHERE v = ANY(@originals)", originals);
        Assert.Empty(found);

        // Nor in the snapshot's files: every original value searched for in every file, as bytes (UTF-8, as COPY writes).
        var files = Directory.GetFiles(created.RootElement.GetProperty("path").GetString()!, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith(".dat", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file);
            Assert.DoesNotContain(originals.Where(o => o.Length > 0), o => text.Contains(o, StringComparison.Ordinal));
        }

        // Business data as it was, tabs, newlines, backslashes, non-ASCII letters and NULL included.
        Assert.Equal(
            await PostgresSandbox.TextAsync(source, "SELECT string_agg(coalesce(name, '<null>'), '|' ORDER BY id) FROM organizations"),
            await PostgresSandbox.TextAsync(loaded, "SELECT string_agg(coalesce(name, '<null>'), '|' ORDER BY id) FROM organizations"));
        Assert.Equal(await PostgresSandbox.ScalarAsync(source, "SELECT sum(score) FROM leads"), await PostgresSandbox.ScalarAsync(loaded, "SELECT sum(score) FROM leads"));
    }

    [Fact]
    public async Task Create_with_a_column_no_rule_covers_fails_before_writing_anything_and_passes_once_its_rule_is_added()
    {
        var source = await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql);
        await PostgresSandbox.ExecuteAsync(source, "ALTER TABLE users ADD COLUMN ssn text; UPDATE users SET ssn = '078-05-' || lpad(id::text, 4, '0')");
        var rules = SnapshotRules.Masked();
        _workspace.Snapshots = SnapshotRules.Inputs(rules);

        var refused = await _workspace.RunAsync("snapshot", "create", "-e", "dev");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("public.users.ssn: the column (text) has no rule", refused.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was written", refused.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_workspace.Directory, ".backstop", "snapshots", "dev")) && Directory.EnumerateFileSystemEntries(Path.Combine(_workspace.Directory, ".backstop", "snapshots", "dev")).Any(),
            "a snapshot that failed its rules check left files behind");

        rules[1] = rules[1] with { Columns = [.. rules[1].Columns, new("ssn", MaskKind.Hash)] };
        _workspace.Snapshots = SnapshotRules.Inputs(rules);
        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.True(JsonDocument.Parse(create.Out).RootElement.GetProperty("usable").GetBoolean());
    }

    [Fact]
    public async Task Create_whose_rules_keep_a_column_holding_masked_emails_fails_the_leak_scan_in_the_database_and_the_files()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql);
        var rules = SnapshotRules.Masked();
        rules[2] = SnapshotRules.Table("leads", SnapshotRules.Keep("id"), SnapshotRules.Keep("user_id"), SnapshotRules.Fake("name"), SnapshotRules.Keep("email"), SnapshotRules.Fake("phone"), SnapshotRules.Keep("score"));
        _workspace.Snapshots = SnapshotRules.Inputs(rules);

        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.Equal(1, create.ExitCode);
        using var created = JsonDocument.Parse(create.Out);
        Assert.Equal("failed", created.RootElement.GetProperty("status").GetString());
        var hits = created.RootElement.GetProperty("leakScan").GetProperty("hits").EnumerateArray()
            .Select(h => (Source: h.GetProperty("source").GetString(), FoundIn: h.GetProperty("foundIn").GetString())).ToList();
        Assert.Contains(("public.users.email", "public.leads.email"), hits);
        Assert.Contains(("public.users.email", "public.leads data file"), hits);
        Assert.DoesNotContain("person10@mail.example.org", create.All, StringComparison.Ordinal);

        // The leaked data is not left on disk, and the snapshot is never handed out.
        var path = created.RootElement.GetProperty("path").GetString()!;
        Assert.False(Directory.Exists(Path.Combine(path, "dump")));
        var id = created.RootElement.GetProperty("id").GetString()!;
        var load = await _workspace.RunAsync("snapshot", "load", id, "--to", "postgresql://nobody@127.0.0.1:1/never");
        Assert.Equal(2, load.ExitCode);
        Assert.Contains("not usable", load.Error, StringComparison.Ordinal);
        var list = await _workspace.RunAsync("snapshot", "list", "-e", "dev");
        Assert.Contains("failed", list.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subset_of_a_tenth_of_users_keeps_exactly_their_leads_and_conversations_and_nothing_dangles()
    {
        var source = await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql);
        var rules = SnapshotRules.Masked();
        rules[1] = rules[1] with { Where = "id % 10 = 0" };
        _workspace.Snapshots = SnapshotRules.Inputs(rules);

        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        using var created = JsonDocument.Parse(create.Out);
        var tables = created.RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => (Source: t.GetProperty("sourceRows").GetInt64(), Kept: t.GetProperty("keptRows").GetInt64()));
        Assert.Equal((3L, 3L), tables["organizations"]);
        Assert.Equal((100L, 10L), tables["users"]);
        Assert.Equal((1000L, await PostgresSandbox.ScalarAsync(source, "SELECT count(*) FROM leads WHERE user_id % 10 = 0")), tables["leads"]);
        Assert.Equal((5000L, await PostgresSandbox.ScalarAsync(source, "SELECT count(*) FROM conversations c JOIN leads l ON l.id = c.lead_id WHERE l.user_id % 10 = 0")), tables["conversations"]);
        Assert.Equal(100, tables["leads"].Kept);

        var target = TargetUrl(source);
        var load = await _workspace.RunAsync("snapshot", "load", created.RootElement.GetProperty("id").GetString()!, "--to", target);
        Assert.True(load.ExitCode == 0, load.ToString());
        var loaded = ConnectionStringOf(source, target);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM users WHERE id % 10 <> 0"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM leads l WHERE NOT EXISTS (SELECT FROM users u WHERE u.id = l.user_id)"));
        Assert.Equal(tables["conversations"].Kept, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM conversations c JOIN leads l ON l.id = c.lead_id JOIN users u ON u.id = l.user_id"));
    }

    [Fact]
    public async Task A_subset_of_children_keeps_the_parents_their_rows_point_at()
    {
        var source = await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql);
        var rules = SnapshotRules.Masked();
        rules[1] = rules[1] with { Where = "id <= 50" };
        rules[2] = rules[2] with { Where = "id BETWEEN 60 AND 69" };
        _workspace.Snapshots = SnapshotRules.Inputs(rules);

        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        using var created = JsonDocument.Parse(create.Out);
        var kept = created.RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("keptRows").GetInt64());

        // Users 1..50 by their own where:, and 61..70, the users of leads 60..69.
        Assert.Equal(await PostgresSandbox.ScalarAsync(source, "SELECT count(*) FROM users WHERE id <= 50 OR id IN (SELECT user_id FROM leads WHERE id BETWEEN 60 AND 69)"), kept["users"]);
        Assert.Equal(60, kept["users"]);
        Assert.Equal(10, kept["leads"]);
        Assert.Equal(await PostgresSandbox.ScalarAsync(source, "SELECT count(*) FROM conversations WHERE lead_id BETWEEN 60 AND 69"), kept["conversations"]);
    }

    [Fact]
    public async Task Shuffle_sql_set_and_null_rules_and_an_excluded_table_behind_a_nulled_reference_restore()
    {
        var source = await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql + "\nCREATE TABLE audit_notes (id int PRIMARY KEY, user_id int REFERENCES users, note text); INSERT INTO audit_notes VALUES (1, 1, 'secret');\nALTER TABLE orders ADD COLUMN handled_by int REFERENCES audit_notes; UPDATE orders SET handled_by = 1 WHERE id < 10;" +
            // A column the parent gained after its child was made: the child's columns are a, c, b here, a, b, c in a restore.
            "\nCREATE TABLE parent_log (a int); CREATE TABLE child_log (c text) INHERITS (parent_log); ALTER TABLE parent_log ADD COLUMN b int; INSERT INTO child_log VALUES (1, 'kept apart', 2);");
        var rules = SnapshotRules.Masked();
        rules[1] = SnapshotRules.Table("users", SnapshotRules.Keep("id"), SnapshotRules.Keep("organization_id"), new("name", MaskKind.Sql, "'user ' || id"),
            SnapshotRules.Fake("email", "email"), new("phone", MaskKind.Null), new("signed_up", MaskKind.Shuffle));
        rules[2] = rules[2] with { Columns = [.. rules[2].Columns.Where(c => c.Column != "score"), new("score", MaskKind.Set, "7")] };
        rules[4] = SnapshotRules.Table("orders", SnapshotRules.Keep("id"), SnapshotRules.Keep("source"), SnapshotRules.Keep("is_deleted"), SnapshotRules.Keep("handled_by"));
        rules.Add(new TableRule("public", "audit_notes", true, null, []));
        rules.Add(SnapshotRules.Table("parent_log", SnapshotRules.Keep("a"), SnapshotRules.Keep("b")));
        rules.Add(SnapshotRules.Table("child_log", SnapshotRules.Keep("a"), SnapshotRules.Fake("c"), SnapshotRules.Keep("b")));
        _workspace.Snapshots = SnapshotRules.Inputs(rules);

        var refused = await _workspace.RunAsync("snapshot", "create", "-e", "dev");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("public.orders (handled_by) → public.audit_notes", refused.Error, StringComparison.Ordinal);

        rules[4] = SnapshotRules.Table("orders", SnapshotRules.Keep("id"), SnapshotRules.Keep("source"), SnapshotRules.Keep("is_deleted"), new("handled_by", MaskKind.Null));
        _workspace.Snapshots = SnapshotRules.Inputs(rules);
        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        using var created = JsonDocument.Parse(create.Out);
        var target = TargetUrl(source);
        Assert.Equal(0, (await _workspace.RunAsync("snapshot", "load", created.RootElement.GetProperty("id").GetString()!, "--to", target)).ExitCode);
        var loaded = ConnectionStringOf(source, target);

        Assert.Equal("user 42", await PostgresSandbox.TextAsync(loaded, "SELECT name FROM users WHERE id = 42"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM child_log WHERE a = 1 AND b = 2 AND c IS NOT NULL AND c <> 'kept apart'"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(phone) FROM users"));
        Assert.Equal(1000, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM leads WHERE score = 7"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM audit_notes"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(loaded, "SELECT count(handled_by) FROM orders"));

        // Shuffled: the same dates, on other rows.
        Assert.Equal(
            await PostgresSandbox.TextAsync(source, "SELECT string_agg(signed_up::text, ',' ORDER BY signed_up) FROM users"),
            await PostgresSandbox.TextAsync(loaded, "SELECT string_agg(signed_up::text, ',' ORDER BY signed_up) FROM users"));
        Assert.True(await PostgresSandbox.ScalarAsync(loaded, "SELECT count(*) FROM users WHERE signed_up = date '2024-01-01' + id") < 10);
    }

    [Fact]
    public async Task Two_snapshots_with_the_same_key_shuffle_and_mask_alike_and_another_key_differently()
    {
        var source = await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql);
        var rules = SnapshotRules.Masked();
        rules[1] = rules[1] with { Columns = [.. rules[1].Columns.Where(c => c.Column != "signed_up"), new("signed_up", MaskKind.Shuffle)] };
        _workspace.Snapshots = SnapshotRules.Inputs(rules);
        const string Rows = "SELECT string_agg(id || ' ' || signed_up || ' ' || email, ',' ORDER BY id) FROM users";

        var first = await CreateAndLoadAsync(source);
        var second = await CreateAndLoadAsync(source);
        _workspace.Variables[SnapshotRules.KeyVariable] = "a different key, just as long as the first";
        var other = await CreateAndLoadAsync(source);

        Assert.Equal(await PostgresSandbox.TextAsync(first, Rows), await PostgresSandbox.TextAsync(second, Rows));
        Assert.NotEqual(await PostgresSandbox.TextAsync(first, "SELECT string_agg(signed_up::text, ',' ORDER BY id) FROM users"), await PostgresSandbox.TextAsync(other, "SELECT string_agg(signed_up::text, ',' ORDER BY id) FROM users"));
        Assert.NotEqual(await PostgresSandbox.TextAsync(first, "SELECT min(email) FROM users"), await PostgresSandbox.TextAsync(other, "SELECT min(email) FROM users"));
    }

    private async Task<string> CreateAndLoadAsync(string source)
    {
        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        using var created = JsonDocument.Parse(create.Out);
        var target = TargetUrl(source);
        var load = await _workspace.RunAsync("snapshot", "load", created.RootElement.GetProperty("id").GetString()!, "--to", target);
        Assert.True(load.ExitCode == 0, load.ToString());
        return ConnectionStringOf(source, target);
    }

    /// <summary>A new database on the test cluster, beside the source.</summary>
    private static string TargetUrl(string source)
    {
        var url = CliWorkspace.UrlOf(source);
        return url[..url.LastIndexOf('/')] + "/loaded_" + Guid.NewGuid().ToString("N")[..8];
    }

    private static string ConnectionStringOf(string source, string url) =>
        new NpgsqlConnectionStringBuilder(source) { Database = url[(url.LastIndexOf('/') + 1)..] }.ConnectionString;

    private static async Task<string[]> ValuesAsync(string connectionString, string sql, string[]? originals = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (originals is not null)
        {
            command.Parameters.AddWithValue("originals", originals);
        }

        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values.ToArray();
    }
}
