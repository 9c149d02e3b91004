using System.Globalization;
using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// <c>repair --root</c> from a clone (two-way): a row and everything its foreign keys reached come back in one change,
/// parents first, other rows untouched; the change is undone as one; and what it cannot do is refused before anything
/// is changed.
/// </summary>
public sealed class RepairRootTests : IDisposable
{
    // A self-referencing cascade (replies to comments) and a composite foreign key, beside the usual chain.
    private const string Schema = """
        CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE projects (account_id int NOT NULL REFERENCES accounts ON DELETE CASCADE, number int NOT NULL, title text, PRIMARY KEY (account_id, number));
        CREATE TABLE tasks (id int PRIMARY KEY, account_id int NOT NULL, project_number int NOT NULL, title text,
                            FOREIGN KEY (account_id, project_number) REFERENCES projects ON DELETE CASCADE);
        CREATE TABLE comments (id int PRIMARY KEY, task_id int NOT NULL REFERENCES tasks ON DELETE CASCADE, reply_to int REFERENCES comments ON DELETE CASCADE, body text);
        CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts ON DELETE SET NULL, amount int NOT NULL);
        CREATE TABLE notes (id int PRIMARY KEY, account_id int REFERENCES accounts ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED, body text);
        INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 5) g;
        INSERT INTO projects SELECT a, n, 'project ' || n FROM generate_series(1, 5) a, generate_series(1, 4) n;
        INSERT INTO tasks SELECT g, (g - 1) / 40 + 1, ((g - 1) / 10) % 4 + 1, 'task ' || g FROM generate_series(1, 200) g;
        INSERT INTO comments SELECT g, (g - 1) / 3 + 1, NULL, 'comment ' || g FROM generate_series(1, 600) g;
        INSERT INTO comments SELECT 1000 + g, (g - 1) / 3 + 1, g, 'reply ' || g FROM generate_series(1, 600) g;
        INSERT INTO invoices SELECT g, (g - 1) / 10 + 1, g FROM generate_series(1, 50) g;
        """;

    private const string Fingerprint = """
        SELECT string_agg(h, ' ') FROM (
            SELECT md5(string_agg(x::text, '|' ORDER BY id)) h FROM accounts x UNION ALL
            SELECT md5(string_agg(x::text, '|' ORDER BY account_id, number)) FROM projects x UNION ALL
            SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM tasks x UNION ALL
            SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM comments x UNION ALL
            SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM invoices x) f
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task One_account_and_everything_it_reached_come_back_in_one_change_that_one_undo_takes_back()
    {
        var clone = await PostgresSandbox.CreateDatabaseAsync("clone");
        await PostgresSandbox.ExecuteAsync(clone, Schema);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Schema);
        var before = await PostgresSandbox.TextAsync(target, Fingerprint);

        // The mistake, and a legitimate write to another account afterwards.
        await PostgresSandbox.ExecuteAsync(target, "DELETE FROM accounts WHERE id = 2; UPDATE tasks SET title = 'later' WHERE id = 1;");
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM comments c JOIN tasks t ON t.id = c.task_id WHERE t.account_id = 2"));

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--root", "accounts", "--where", "id = 2", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        using var json = JsonDocument.Parse(repair.Out);
        var tables = json.RootElement.GetProperty("repair").GetProperty("tables").EnumerateArray()
            .ToDictionary(t => t.GetProperty("table").GetString()!, t => (Inserts: t.GetProperty("inserts").GetInt32(), Updates: t.GetProperty("updates").GetInt32()));
        Assert.Equal((1, 0), tables["public.accounts"]);
        Assert.Equal((4, 0), tables["public.projects"]);
        Assert.Equal((40, 0), tables["public.tasks"]);
        Assert.Equal((240, 0), tables["public.comments"]);
        Assert.Equal((0, 10), tables["public.invoices"]);
        Assert.False(tables.ContainsKey("public.notes"), "a RESTRICT foreign key stops a delete; it is not followed");

        // Account 2 is back whole; the later write to account 1 is kept.
        Assert.Equal("later", await PostgresSandbox.TextAsync(target, "SELECT title FROM tasks WHERE id = 1"));
        await PostgresSandbox.ExecuteAsync(target, "UPDATE tasks SET title = 'task 1' WHERE id = 1");
        Assert.Equal(before, await PostgresSandbox.TextAsync(target, Fingerprint));

        var id = json.RootElement.GetProperty("change").GetProperty("changeId").GetInt64().ToString(CultureInfo.InvariantCulture);
        var undo = await _workspace.RunAsync("undo", id, "--yes");
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM tasks WHERE account_id = 2"));
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM invoices WHERE account_id IS NULL"));
    }

    [Theory]
    [InlineData(new[] { "--root", "accounts" }, "--root needs --where naming the root rows")]
    [InlineData(new[] { "--root", "accounts", "--where", "id = 2", "--table", "tasks" }, "give it without --table, --columns and --key")]
    [InlineData(new[] { "--root", "accounts", "--where", "id = 2", "--batch-rows", "10" }, "give it without --batch-rows")]
    [InlineData(new[] { "--where", "id = 2" }, "say what to repair: --table NAME, or --root NAME --where CONDITION")]
    [InlineData(new[] { "--root", "acounts", "--where", "id = 2" }, "there is no table 'acounts'")]
    public async Task What_root_cannot_do_is_a_usage_error_that_changes_nothing(string[] arguments, string message)
    {
        var clone = await PostgresSandbox.CreateDatabaseAsync("clone");
        await PostgresSandbox.ExecuteAsync(clone, Schema);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Schema);
        await PostgresSandbox.ExecuteAsync(target, "DELETE FROM accounts WHERE id = 2");

        var repair = await _workspace.RunAsync(["repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--yes", .. arguments]);

        Assert.True(repair.ExitCode == 2, repair.ToString());
        Assert.Contains(message, repair.Error, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM accounts WHERE id = 2"));
    }

    [Fact]
    public async Task A_root_condition_that_matches_nothing_before_the_mistake_exits_1_and_says_so()
    {
        var clone = await PostgresSandbox.CreateDatabaseAsync("clone");
        await PostgresSandbox.ExecuteAsync(clone, Schema);
        await _workspace.AddEnvironmentAsync("stage", "staging", Schema);

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--root", "accounts", "--where", "id = 99", "--yes");

        Assert.True(repair.ExitCode == 1, repair.ToString());
        Assert.Contains("--where matches no row of public.accounts in", repair.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was repaired", repair.Error, StringComparison.Ordinal);
    }
}
