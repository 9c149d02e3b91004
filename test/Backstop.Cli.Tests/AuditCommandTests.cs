using System.Text.Json;
using Backstop.Core.Audit;
using Backstop.Core.Configuration;
using Backstop.Core.State;

namespace Backstop.Cli.Tests;

/// <summary><c>backstop audit …</c> on the state store of backstop.yaml, and <c>verify-proof</c> with nothing but files.</summary>
[Trait("Area", "Audit")]
public sealed class AuditCommandTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Audit_list_by_actor_newest_first_and_json()
    {
        await SeedAsync(5);

        var carol = await _workspace.RunAsync("audit", "list", "--actor", "carol");
        var json = await _workspace.RunAsync("audit", "list", "--json", "--limit", "2");

        Assert.Equal(0, carol.ExitCode);
        Assert.Contains("carol", carol.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", carol.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal([5L, 4L], document.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Audit_verify_intact_log_exits_0_and_counts_entries_and_checkpoints()
    {
        await SeedAsync(6);
        Assert.Equal(0, (await _workspace.RunAsync("audit", "checkpoint")).ExitCode);

        var result = await _workspace.RunAsync("audit", "verify");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("6 entries, 1 checkpoints verified", result.Out.Trim());
    }

    [Fact]
    public async Task Audit_verify_entry_deleted_behind_its_back_exits_1_naming_it()
    {
        var location = await SeedAsync(6);
        await DeleteBehindItsBackAsync(location, 4);

        var result = await _workspace.RunAsync("audit", "verify", "--json");

        Assert.Equal(1, result.ExitCode);
        using var document = JsonDocument.Parse(result.Out);
        Assert.Equal("entry 4 is missing (entries jump from 3 to 5)", document.RootElement.GetProperty("problem").GetString());
        Assert.Equal(4, document.RootElement.GetProperty("problemAt").GetInt64());
    }

    /// <summary>The other three ways to tamper with the log behind its back, each named by `audit verify` (exit 1).</summary>
    [Theory]
    [InlineData("altered", "UPDATE audit_entries SET entry = replace(entry, '\"change 4\"', '\"change 40\"') WHERE seq = 4", "entry 4 was altered")]
    [InlineData("inserted", "UPDATE audit_entries SET seq = seq + 100 WHERE seq >= 4; UPDATE audit_entries SET seq = seq - 99 WHERE seq >= 100; INSERT INTO audit_entries (seq, at, actor, entry, leaf_hash) SELECT 4, at, actor, entry, leaf_hash FROM audit_entries WHERE seq = 2", "entry 4")]
    [InlineData("swapped", "CREATE TEMP TABLE pair AS SELECT seq, entry, leaf_hash FROM audit_entries WHERE seq IN (3, 4); UPDATE audit_entries SET entry = (SELECT entry FROM pair WHERE pair.seq = 7 - audit_entries.seq), leaf_hash = (SELECT leaf_hash FROM pair WHERE pair.seq = 7 - audit_entries.seq) WHERE seq IN (3, 4)", "entry 3")]
    public async Task Audit_verify_entry_tampered_behind_its_back_exits_1_naming_it(string how, string sql, string named)
    {
        _workspace.StateInPostgres = false;
        var location = await SeedAsync(6);
        await using (var file = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location.FilePath};Pooling=false"))
        {
            await file.OpenAsync();
            await using var tamper = new Microsoft.Data.Sqlite.SqliteCommand("DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete; " + sql, file);
            await tamper.ExecuteNonQueryAsync();
        }

        var result = await _workspace.RunAsync("audit", "verify");

        Assert.True(result.ExitCode == 1, how + ": " + result);
        Assert.Contains("was tampered with: " + named, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_proof_to_file_then_verify_proof_offline_exits_0_and_1_when_altered()
    {
        await SeedAsync(9);
        Assert.Equal(0, (await _workspace.RunAsync("audit", "proof", "7", "-o", "proof.json")).ExitCode);
        var publicKey = await _workspace.RunAsync("audit", "public-key");
        Assert.Equal(0, publicKey.ExitCode);
        await File.WriteAllTextAsync(Path.Combine(_workspace.Directory, "public.pem"), publicKey.Out);

        File.Delete(_workspace.ConfigPath);
        var valid = await _workspace.RunAsync("audit", "verify-proof", "proof.json", "--public-key", "public.pem");
        var proofPath = Path.Combine(_workspace.Directory, "proof.json");
        await File.WriteAllTextAsync(proofPath, (await File.ReadAllTextAsync(proofPath)).Replace("change 7", "change 8", StringComparison.Ordinal));
        var altered = await _workspace.RunAsync("audit", "verify-proof", "proof.json", "--public-key", "public.pem");

        Assert.Equal(0, valid.ExitCode);
        Assert.StartsWith("entry 7 is in the audit log of 9 entries signed at ", valid.Out, StringComparison.Ordinal);
        Assert.Equal(1, altered.ExitCode);
        Assert.Contains("the proof does not hold: entry 7 is not proven", altered.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_export_prints_each_entry_as_hashed_and_checkpoints_after_their_entry()
    {
        var location = await SeedAsync(3);
        Assert.Equal(0, (await _workspace.RunAsync("audit", "checkpoint")).ExitCode);
        var log = await AuditLogs.OpenAsync(location, null, CancellationToken.None);
        await log.AppendAsync(new AuditRecord { Actor = "dave", Action = "signin", Outcome = "ok" }, CancellationToken.None);

        var result = await _workspace.RunAsync("audit", "export");
        var checkpoints = await _workspace.RunAsync("audit", "export", "--checkpoints");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Equal((await log.GetAsync(1, CancellationToken.None))!.Json, lines[0]);
        Assert.StartsWith("{\"checkpoint\":{\"treeSize\":3,", lines[3], StringComparison.Ordinal);
        Assert.Equal(4, AuditEntry.Parse(lines[4]).Seq);
        Assert.Equal([lines[3]], checkpoints.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Audit_proof_of_an_entry_that_does_not_exist_exits_2()
    {
        await SeedAsync(2);

        var result = await _workspace.RunAsync("audit", "proof", "3");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("there is no audit entry 3; list them with `backstop audit list`", result.Error, StringComparison.Ordinal);
    }

    /// <summary>Deletes an entry as the store's owner could: the append-only triggers out of the way first.</summary>
    private static async Task DeleteBehindItsBackAsync(StateLocation location, long seq)
    {
        if (location.Url is { } url)
        {
            await using var connection = new Npgsql.NpgsqlConnection(url.ToConnectionString());
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "SET session_replication_role = replica; DELETE FROM backstop_state.audit_entries WHERE seq = @seq", connection);
            command.Parameters.AddWithValue("seq", seq);
            await command.ExecuteNonQueryAsync();
            return;
        }

        await using var file = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location.FilePath};Pooling=false");
        await file.OpenAsync();
        await using var delete = new Microsoft.Data.Sqlite.SqliteCommand("DROP TRIGGER audit_entries_no_delete; DELETE FROM audit_entries WHERE seq = $seq", file);
        delete.Parameters.AddWithValue("$seq", seq);
        await delete.ExecuteNonQueryAsync();
    }

    /// <summary>init, then COUNT entries appended through Core to the workspace's store (every third by carol).</summary>
    private async Task<StateLocation> SeedAsync(int count)
    {
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);
        await _workspace.RunAsync("audit", "list");
        var location = StateLocation.Of(ConfigLoader.Load(_workspace.ConfigPath), _ => null);
        var log = await AuditLogs.OpenAsync(location, null, CancellationToken.None);
        for (var i = 1; i <= count; i++)
        {
            await log.AppendAsync(new AuditRecord { Actor = i % 3 == 0 ? "carol" : "alice", Action = "execute", Object = $"change {i}", Outcome = "ok" }, CancellationToken.None);
        }

        return location;
    }
}
