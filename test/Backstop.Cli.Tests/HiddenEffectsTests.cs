using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// Whatever a statement destroys, through a function, a procedure, a DO block, a trigger or a CASCADE, is seen, counted,
/// judged like the statement that says so, and kept so that undo or the recycle bin brings it back.
/// </summary>
public sealed class HiddenEffectsTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE t (id int PRIMARY KEY, v text);
        INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 5000) g;
        CREATE TABLE t2 (id int PRIMARY KEY, n int CHECK (n >= 0));
        INSERT INTO t2 SELECT g, g FROM generate_series(1, 300) g;
        CREATE FUNCTION zap() RETURNS void LANGUAGE plpgsql AS $$ BEGIN TRUNCATE t; END $$;
        CREATE FUNCTION zap_table() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE t2; END $$;
        CREATE PROCEDURE wipe() LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'TRUNCATE t'; END $$;
        CREATE TABLE events (id int PRIMARY KEY);
        CREATE FUNCTION clear_t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN TRUNCATE t; RETURN NULL; END $$;
        CREATE TRIGGER events_clear AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION clear_t();
        CREATE TABLE t_dc (id int PRIMARY KEY, a text);
        INSERT INTO t_dc SELECT g, g::text FROM generate_series(1, 2000) g;
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE t_ty (id int PRIMARY KEY, m mood);
        INSERT INTO t_ty SELECT g, (ARRAY['sad', 'ok', 'happy']::mood[])[1 + g % 3] FROM generate_series(1, 500) g;
        CREATE DOMAIN positive AS int CHECK (VALUE > 0);
        CREATE TABLE t_do (id int PRIMARY KEY, p positive);
        INSERT INTO t_do SELECT g, g FROM generate_series(1, 400) g;
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private static string Content(string table) => $"SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), 'empty') FROM {table} x";

    [Theory]
    [InlineData("SELECT zap()", "truncated public.t: 5,000 rows")]
    [InlineData("CALL wipe()", "truncated public.t: 5,000 rows")]
    [InlineData("SELECT zap_table()", "dropped table public.t2: 300 rows")]
    [InlineData("INSERT INTO events VALUES (1)", "truncated public.t: 5,000 rows")]
    [InlineData("DO $$ BEGIN EXECUTE 'TRUNCATE t'; EXECUTE 'DROP TABLE t2'; END $$", "dropped table public.t2: 300 rows")]
    [InlineData("ALTER TABLE t_dc ALTER COLUMN a TYPE int USING null", "column a of public.t_dc rewritten: 2,000 values")]
    [InlineData("DROP TYPE mood CASCADE", "type mood dropped, taking column m of public.t_ty: 500 values")]
    [InlineData("DROP DOMAIN positive CASCADE", "domain positive dropped, taking column p of public.t_do: 400 values")]
    public async Task Hidden_destruction_on_production_needs_approval_and_names_what_it_destroys(string script, string effect)
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);

        var check = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", script);

        Assert.True(check.ExitCode == 4, check.ToString());
        using var json = JsonDocument.Parse(check.Out);
        Assert.Equal("approve", json.RootElement.GetProperty("verdict").GetString());
        Assert.Contains(effect, check.Out, StringComparison.Ordinal);
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM t"));
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(database, "SELECT count(a) FROM t_dc"));
    }

    [Theory]
    [InlineData("SELECT zap()", "t")]
    [InlineData("CALL wipe()", "t")]
    [InlineData("INSERT INTO events VALUES (1)", "t")]
    [InlineData("ALTER TABLE t_dc ALTER COLUMN a TYPE int USING null", "t_dc")]
    [InlineData("DROP TYPE mood CASCADE", "t_ty")]
    [InlineData("DROP DOMAIN positive CASCADE", "t_do")]
    public async Task Hidden_destruction_allowed_on_development_is_taken_back_by_undo(string script, string table)
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var before = await PostgresSandbox.TextAsync(database, Content(table));

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", script);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.NotEqual(before, await PostgresSandbox.TextAsync(database, Content(table)));
        var undo = await _workspace.RunAsync("undo", run.ChangeId, "--yes");

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await PostgresSandbox.TextAsync(database, Content(table)));
    }

    [Fact]
    public async Task A_table_dropped_inside_a_function_called_by_SELECT_comes_back_from_the_recycle_bin()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var before = await PostgresSandbox.TextAsync(database, Content("t2"));

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "SELECT zap_table()");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT to_regclass('public.t2')::text"));
        var (id, table, rows, estimated) = await OnlyTrashItemAsync();
        Assert.Equal(("public.t2", 300, false), (table, rows, estimated));

        var restore = await _workspace.RunAsync("trash", "restore", id, "-e", "dev");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(before, await PostgresSandbox.TextAsync(database, Content("t2")));
    }

    [Fact]
    public async Task A_table_dropped_inside_a_DO_block_goes_to_the_recycle_bin_and_comes_back_whole()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var t = await PostgresSandbox.TextAsync(database, Content("t"));
        var t2 = await PostgresSandbox.TextAsync(database, Content("t2"));

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DO $$ BEGIN EXECUTE 'TRUNCATE t'; EXECUTE 'DROP TABLE t2'; END $$");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT to_regclass('public.t2')::text"));
        var (id, table, _, _) = await OnlyTrashItemAsync();
        Assert.Equal("public.t2", table);

        var restore = await _workspace.RunAsync("trash", "restore", id, "-e", "dev");
        var undo = await _workspace.RunAsync("undo", run.ChangeId, "--yes");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(t2, await PostgresSandbox.TextAsync(database, Content("t2")));
        Assert.Equal(t, await PostgresSandbox.TextAsync(database, Content("t")));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.t2'::regclass AND contype = 'c'"));
    }

    [Fact]
    public async Task A_run_that_destroys_more_than_its_preview_saw_is_rolled_back()
    {
        // The function truncates only once the flag is set, which happens while Backstop waits for the confirmation:
        // the preview saw nothing destroyed, so the run is held to that.
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema + """
            CREATE TABLE flag (on_run boolean);
            INSERT INTO flag VALUES (false);
            CREATE FUNCTION sometimes() RETURNS int LANGUAGE plpgsql AS $$ BEGIN IF (SELECT on_run FROM flag) THEN TRUNCATE t; END IF; RETURN 1; END $$;
            """);
        var answer = new AnswerAfter(() => PostgresSandbox.ExecuteAsync(database, "UPDATE flag SET on_run = true").GetAwaiter().GetResult(), "prod");

        var run = await _workspace.RunWithInputAsync(answer, interactive: true, "run", "-e", "prod", "-c", "INSERT INTO t2 SELECT sometimes() + 1000, 1");

        Assert.True(answer.Asked, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("truncated or rewrote public.t", run.All, StringComparison.Ordinal);
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM t"));
        Assert.Equal(300, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM t2"));
    }

    [Fact]
    public async Task An_estimated_preview_that_the_run_contradicts_ends_with_exit_4_and_both_impacts()
    {
        // Each parent row sleeps, so the preview hits its statement_timeout and can only estimate; EXPLAIN does not show
        // the cascade into child, which the run then measures.
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE parent (id int PRIMARY KEY);
            CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE);
            INSERT INTO parent SELECT generate_series(1, 10);
            INSERT INTO child SELECT g, 1 + g % 10 FROM generate_series(1, 1000) g;
            """);
        var config = await File.ReadAllTextAsync(_workspace.ConfigPath);
        await File.WriteAllTextAsync(_workspace.ConfigPath, config.Replace("tier: development", "tier: development\n    statement_timeout: 200ms", StringComparison.Ordinal));

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM parent WHERE id <= 5 AND pg_sleep(0.1) IS NOT NULL");

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("estimate", run.Out, StringComparison.Ordinal);
        Assert.Contains("public.child", run.Out, StringComparison.Ordinal);
        Assert.Equal(1000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM child"));
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM parent"));
    }

    private async Task<(string Id, string Table, long Rows, bool Estimated)> OnlyTrashItemAsync()
    {
        var list = await _workspace.RunAsync("trash", "list", "-e", "dev", "--json");
        using var items = JsonDocument.Parse(list.Out);
        var item = items.RootElement.GetProperty("items").EnumerateArray().Single();
        return (item.GetProperty("id").GetString()!, item.GetProperty("table").GetString()!, item.GetProperty("rows").GetInt64(), item.GetProperty("rowsEstimated").GetBoolean());
    }

    /// <summary>Answers the confirmation prompt after doing something behind Backstop's back.</summary>
    private sealed class AnswerAfter(Action before, string answer) : TextReader
    {
        public bool Asked { get; private set; }

        public override string? ReadLine()
        {
            if (!Asked)
            {
                Asked = true;
                before();
                return answer;
            }

            return null;
        }
    }
}
