using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// The two-person rule end to end (issue 15, point 4): a real server process, and each person a real CLI process with
/// their own token. Each test deletes its own user, whose leads go with it by cascade, which production sends for approval.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class ApprovalFlowTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync();
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    private Task<CliResult> RequestDeleteAsync(TeamCli who, int user) => who.RunAsync("run", "-e", "prod", "--json", "-c", $"DELETE FROM users WHERE id = {user}");

    [Fact]
    public async Task Approve_own_request_is_refused_whatever_the_role()
    {
        var asked = await RequestDeleteAsync(_team.Alice, 1);
        Assert.True(asked.ExitCode == 4, asked.ToString());
        var request = TeamSetup.RequestId(asked);

        var self = await _team.Alice.RunAsync("approve", request.ToString());
        Assert.True(self.ExitCode == 3, self.ToString());
        Assert.Contains("nobody approves their own request", self.Error);

        // An approver is no exception.
        var bobAsks = await RequestDeleteAsync(_team.Bob, 2);
        Assert.True(bobAsks.ExitCode == 4, bobAsks.ToString());
        var bobSelf = await _team.Bob.RunAsync("approve", TeamSetup.RequestId(bobAsks).ToString());
        Assert.True(bobSelf.ExitCode == 3, bobSelf.ToString());

        var stillThere = await _team.Alice.RunAsync("execute", request.ToString());
        Assert.True(stillThere.ExitCode == 4, stillThere.ToString());
        Assert.Contains("0 of 1 approvals", stillThere.Error);
        Assert.Equal(2, await _team.CountAsync("SELECT count(*) FROM users WHERE id IN (1, 2)"));
    }

    [Fact]
    public async Task Approved_request_runs_once_and_is_undoable()
    {
        var leads = await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 3");
        var request = TeamSetup.RequestId(await RequestDeleteAsync(_team.Alice, 3));

        var approved = await _team.Bob.RunAsync("approve", request.ToString(), "--reason", "user 3 asked to be forgotten");
        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.Contains("is approved", approved.Out);

        var executed = await _team.Alice.RunAsync("execute", request.ToString(), "--json");
        Assert.True(executed.ExitCode == 0, executed.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 3"));
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 3"));

        var replay = await _team.Alice.RunAsync("execute", request.ToString());
        Assert.True(replay.ExitCode == 3, replay.ToString());
        Assert.Contains("ran already", replay.Error);

        // The change is recorded with alice as its actor, and she takes it back through the server like any other.
        var shown = await _team.Alice.RunAsync("show", executed.ChangeId, "--json");
        Assert.Contains("\"osUser\": \"alice\"", shown.Out);
        var undone = await _team.Alice.RunAsync("undo", executed.ChangeId, "--confirm", "prod", "--json");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        var undoShown = await _team.Bob.RunAsync("show", undone.ChangeId, "--json");
        Assert.Contains("\"osUser\": \"alice\"", undoShown.Out);
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 3"));
        Assert.Equal(leads, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 3"));
    }

    [Fact]
    public async Task Trash_and_backup_commands_run_on_the_server_as_the_person_and_are_audited()
    {
        var trash = await _team.Alice.RunAsync("trash", "list", "-e", "prod", "--json");
        Assert.True(trash.ExitCode == 0, trash.ToString());
        var status = await _team.Alice.RunAsync("backup", "status", "-e", "prod");
        Assert.Contains("prod", status.All);

        // The server's credentials and network position are not the caller's to point at a database of their choosing.
        var elsewhere = await _team.Alice.RunAsync("backup", "restore", "latest", "-e", "prod", "--to", "postgresql://me:pw@elsewhere.example:5432/loot");
        Assert.True(elsewhere.ExitCode == 2, elsewhere.ToString());
        Assert.Contains("not database URLs", elsewhere.Error);
        Assert.DoesNotContain("pw@", elsewhere.Error);

        // Undo of a change that does not exist: the server's own message and exit code.
        var missing = await _team.Alice.RunAsync("undo", "999999", "--confirm", "prod");
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("999999", missing.Error);

        var config = Core.Configuration.ConfigLoader.Load(_team.Workspace.ConfigPath);
        var log = await Core.Audit.AuditLogs.OpenAsync(Core.State.StateLocation.Of(config, _ => null), null, CancellationToken.None);
        var entries = await log.ListAsync(null, "alice", 100, CancellationToken.None);
        Assert.Contains(entries, e => e.Action == "trash.list" && e.Outcome == "ok" && e.Environment == "prod");
        Assert.Contains(entries, e => e.Action == "undo" && e.Outcome == "failed");
    }

    [Fact]
    public async Task Script_changed_by_one_byte_is_refused_and_is_a_new_request()
    {
        var script = "DELETE FROM users WHERE id = 4";
        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", script);
        var request = TeamSetup.RequestId(asked);
        Assert.True((await _team.Bob.RunAsync("approve", request.ToString())).ExitCode == 0);

        var changed = Path.Combine(_team.Alice.WorkingDirectory, "changed.sql");
        await File.WriteAllTextAsync(changed, script + " ");
        var refused = await _team.Alice.RunAsync("execute", request.ToString(), "-f", changed);
        Assert.True(refused.ExitCode == 3, refused.ToString());
        Assert.Contains("not the one approved", refused.Error);
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 4"));

        var again = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-f", changed);
        Assert.True(again.ExitCode == 4, again.ToString());
        Assert.NotEqual(request, TeamSetup.RequestId(again));

        var exact = Path.Combine(_team.Alice.WorkingDirectory, "exact.sql");
        await File.WriteAllTextAsync(exact, script);
        var ran = await _team.Alice.RunAsync("execute", request.ToString(), "-f", exact);
        Assert.True(ran.ExitCode == 0, ran.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 4"));
    }

    [Fact]
    public async Task Impact_grown_since_approval_is_refused_with_nothing_changed()
    {
        var request = TeamSetup.RequestId(await RequestDeleteAsync(_team.Alice, 5));
        Assert.True((await _team.Bob.RunAsync("approve", request.ToString())).ExitCode == 0);

        // After the approval, one more lead comes to hang off user 5: the delete would now take a row nobody approved.
        await PostgresSandbox.ExecuteAsync(_team.Database, "INSERT INTO leads (user_id, note) VALUES (5, 'arrived after the approval')");
        var leads = await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 5");

        var executed = await _team.Alice.RunAsync("execute", request.ToString());
        Assert.True(executed.ExitCode == 4, executed.ToString());
        Assert.Contains("impact changed", executed.Out);
        Assert.Contains("public.leads: deleted", executed.Out);
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 5"));
        Assert.Equal(leads, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 5"));

        // The request is spent: the person runs the script again and asks again.
        var replay = await _team.Alice.RunAsync("execute", request.ToString());
        Assert.True(replay.ExitCode == 3, replay.ToString());
    }

    [Fact]
    public async Task Approved_script_longer_than_what_the_store_reads_back_runs_whole_and_as_approved()
    {
        // 100 KiB of comment after the statement: the store reads back only the first 64 KiB of a script, and the
        // execution must run (and hash) the whole of it.
        var script = "DELETE FROM users WHERE id = 8;\n-- " + new string('x', 100 * 1024) + "\n";
        var file = Path.Combine(_team.Alice.WorkingDirectory, "long.sql");
        await File.WriteAllTextAsync(file, script);
        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-f", file);
        var request = TeamSetup.RequestId(asked);
        Assert.True((await _team.Bob.RunAsync("approve", request.ToString())).ExitCode == 0);

        var executed = await _team.Alice.RunAsync("execute", request.ToString(), "-f", file, "--json");
        Assert.True(executed.ExitCode == 0, executed.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 8"));
        var whole = await _team.Alice.RunAsync("show", executed.ChangeId, "--script");
        Assert.Equal(script, whole.Out);
    }

    [Fact]
    public async Task Rejected_request_never_runs()
    {
        var request = TeamSetup.RequestId(await RequestDeleteAsync(_team.Alice, 6));
        var rejected = await _team.Bob.RunAsync("reject", request.ToString(), "--reason", "not during the migration");
        Assert.True(rejected.ExitCode == 0, rejected.ToString());

        var executed = await _team.Alice.RunAsync("execute", request.ToString());
        Assert.True(executed.ExitCode == 3, executed.ToString());
        Assert.Contains("rejected", executed.Error);
        var lateApproval = await _team.Bob.RunAsync("approve", request.ToString());
        Assert.True(lateApproval.ExitCode == 3, lateApproval.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 6"));

        var listed = await _team.Bob.RunAsync("approvals", "--all", "--json");
        Assert.Contains("\"status\": \"rejected\"", listed.Out);
        Assert.Contains("not during the migration", listed.Out);
    }
}
