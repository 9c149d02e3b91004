using System.Text.RegularExpressions;
using Backstop.Cli.Tests.Team;

namespace Backstop.Cli.Tests.Proxy;

/// <summary>psql through the proxy of a real `backstop server`, as a person on production (issue 16).</summary>
[Trait("Speed", "Slow")]
public sealed partial class ProxyPsqlTests : IAsyncLifetime
{
    public const string ProxySettings = "  proxy:\n    listen: 127.0.0.1:0\n";

    private TeamSetup _team = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(ProxySettings);
        _port = await _team.Server.ProxyPortAsync();
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    private Task<ProxyPsql.Result> AliceAsync(string sql, bool file = false, bool stopOnError = true) =>
        ProxyPsql.RunAsync(_port, "alice", TeamSetup.AlicePassword, sql, file: file, stopOnError: stopOnError);

    [Fact]
    public async Task Soft_delete_update_without_where_is_refused_with_the_rule_and_nothing_changes()
    {
        var read = await AliceAsync("SELECT count(*) FROM users");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("50", read.Out.Trim());

        var refused = await AliceAsync("UPDATE users SET name = 'deleted'");

        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("ERROR:  denied by the production policy: UPDATE of users has no WHERE", refused.Error, StringComparison.Ordinal);
        Assert.Contains("DETAIL:  Impact: public.users: 50 updated", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE name = 'deleted'"));
    }

    [Fact]
    public async Task Small_write_is_kept_as_a_change_of_the_person_that_undo_takes_back()
    {
        // Every write on production asks for a typed confirmation; in a session it is given with SET backstop.confirm.
        var kept = await AliceAsync("SET backstop.confirm = 'prod'; UPDATE users SET name = 'renamed' WHERE id = 7");

        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Contains("UPDATE 1", kept.Out + kept.Error, StringComparison.Ordinal);
        var change = ChangeNumber().Match(kept.Error);
        Assert.True(change.Success, kept.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE name = 'renamed'"));

        var shown = await _team.Bob.RunAsync("show", change.Groups[1].Value, "--json");
        Assert.Contains("\"osUser\": \"alice\"", shown.Out, StringComparison.Ordinal);
        var undone = await _team.Alice.RunAsync("undo", change.Groups[1].Value, "--confirm", "prod");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE name = 'renamed'"));
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 7 AND name = 'user 7'"));
    }

    [Fact]
    public async Task Cascading_delete_waits_for_another_persons_approval_then_the_same_statement_is_kept_and_undone()
    {
        const string Delete = "DELETE FROM users WHERE id = 42";
        var leads = await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 42");
        Assert.True(leads > 0);

        var refused = await AliceAsync(Delete);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("ERROR:  needs another person's approval", refused.Error, StringComparison.Ordinal);
        Assert.Contains($"public.leads: {leads} deleted", refused.Error, StringComparison.Ordinal);
        var request = RequestNumber().Match(refused.Error);
        Assert.True(request.Success, refused.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 42"));

        // Her own approval is refused; bob's counts.
        var own = await _team.Alice.RunAsync("approve", request.Groups[1].Value);
        Assert.True(own.ExitCode != 0, own.ToString());
        var approved = await _team.Bob.RunAsync("approve", request.Groups[1].Value, "--reason", "asked to be forgotten");
        Assert.True(approved.ExitCode == 0, approved.ToString());

        var kept = await AliceAsync(Delete);
        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 42"));
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 42"));

        var change = ChangeNumber().Match(kept.Error);
        Assert.True(change.Success, kept.ToString());
        var undone = await _team.Alice.RunAsync("undo", change.Groups[1].Value, "--confirm", "prod");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 42"));
        Assert.Equal(leads, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 42"));
    }

    [Fact]
    public async Task Refused_statement_inside_begin_aborts_the_transaction_like_a_server_error_and_rollback_makes_the_session_usable()
    {
        var script = """
            BEGIN;
            SET backstop.confirm = 'prod';
            UPDATE users SET name = 'kept in the transaction' WHERE id = 1;
            UPDATE users SET name = 'deleted';
            SELECT 'after the refusal';
            ROLLBACK;
            SELECT 'usable again', count(*) FROM users WHERE name LIKE 'user %';
            """;

        var result = await AliceAsync(script, file: true, stopOnError: false);
        Assert.True(result.ExitCode == 0, result + _team.Server.Output);

        Assert.Contains("ERROR:  denied by the production policy", result.Error, StringComparison.Ordinal);
        Assert.Contains("ERROR:  current transaction is aborted, commands ignored until end of transaction block", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("after the refusal", result.Out, StringComparison.Ordinal);
        Assert.Contains("usable again|50", result.Out, StringComparison.Ordinal);
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE name <> 'user ' || id"));
    }

    [Fact]
    public async Task Drop_database_is_refused_and_the_database_is_still_there()
    {
        var database = await _team.CountAsync("SELECT count(*) FROM pg_database WHERE datname = current_database()");
        var name = await Backstop.Testing.PostgresSandbox.TextAsync(_team.Database, "SELECT current_database()");

        var refused = await AliceAsync($"DROP DATABASE {name}");

        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("ERROR:", refused.Error, StringComparison.Ordinal);
        Assert.Equal(database, await _team.CountAsync($"SELECT count(*) FROM pg_database WHERE datname = '{name}'"));
    }

    [Fact]
    public async Task Drop_table_approved_by_another_person_lands_in_the_recycle_bin()
    {
        await Backstop.Testing.PostgresSandbox.ExecuteAsync(_team.Database, "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'n' FROM generate_series(1, 30) g");

        var refused = await AliceAsync("DROP TABLE notes");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM pg_tables WHERE tablename = 'notes'"));

        Assert.Contains("ERROR:  needs another person's approval: DROP TABLE of notes", refused.Error, StringComparison.Ordinal);
        var request = RequestNumber().Match(refused.Error);
        Assert.True(request.Success, refused.ToString());
        var approved = await _team.Bob.RunAsync("approve", request.Groups[1].Value, "--reason", "notes moved elsewhere");
        Assert.True(approved.ExitCode == 0, approved.ToString());

        var dropped = await AliceAsync("DROP TABLE notes");
        Assert.True(dropped.ExitCode == 0, dropped.ToString());
        Assert.True(0 == await _team.CountAsync("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'notes'"), dropped.ToString());
        

        var trash = await _team.Alice.RunAsync("trash", "list", "-e", "prod");
        Assert.True(trash.ExitCode == 0, trash.ToString());
        Assert.Contains("notes", trash.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_that_turns_off_standard_conforming_strings_cannot_slip_a_write_past_the_guard()
    {
        var script = """
            SET standard_conforming_strings = off;
            UPDATE users SET name = 'slipped' WHERE id = 1;
            SELECT 'still refused';
            SET standard_conforming_strings = on;
            SELECT 'readable again';
            """;

        var result = await AliceAsync(script, file: true, stopOnError: false);

        Assert.Contains("standard_conforming_strings is off; nothing was run", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("still refused", result.Out, StringComparison.Ordinal);
        Assert.Contains("readable again", result.Out, StringComparison.Ordinal);
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE name = 'slipped'"));
    }

    [Fact]
    public async Task Select_of_a_function_that_truncates_is_caught_and_refused_while_a_function_that_only_reads_returns_its_rows()
    {
        await Backstop.Testing.PostgresSandbox.ExecuteAsync(_team.Database, """
            CREATE TABLE events (id int PRIMARY KEY);
            INSERT INTO events SELECT generate_series(1, 500);
            CREATE FUNCTION zap() RETURNS void LANGUAGE plpgsql AS $$ BEGIN TRUNCATE events; END $$;
            CREATE FUNCTION label(n int) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'label ' || n; END $$;
            """);

        var read = await AliceAsync("SELECT label(3), label(4)");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("label 3|label 4", read.Out.Trim());

        var zap = await AliceAsync("SELECT zap()");
        Assert.True(zap.ExitCode == 1, zap.ToString());
        Assert.Contains("ERROR:", zap.Error, StringComparison.Ordinal);
        Assert.Contains("events", zap.Error, StringComparison.Ordinal);
        Assert.Equal(500, await _team.CountAsync("SELECT count(*) FROM events"));

        // Inside the client's transaction the read stays in it, and the session goes on.
        var inside = await AliceAsync("BEGIN;\nSELECT label(5);\nSELECT count(*) FROM events;\nCOMMIT;", file: true);
        Assert.True(inside.ExitCode == 0, inside.ToString());
        Assert.Contains("label 5", inside.Out, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"kept this as change (\d+)")]
    private static partial Regex ChangeNumber();

    [GeneratedRegex(@"Request (\d+):")]
    private static partial Regex RequestNumber();
}
