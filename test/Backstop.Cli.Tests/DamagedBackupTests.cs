using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// A backup that passed its drill is damaged afterwards (issue 14, point 6): <c>backup status</c> stops calling it proven,
/// naming it and the file; and <c>backup restore</c> refuses a backup whose latest drill failed unless <c>--force</c>.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class DamagedBackupTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Status_strict_of_a_drilled_backup_says_proven_until_a_flipped_byte_then_exits_1_naming_the_backup_and_the_file_and_restore_refuses_it()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var id = await BackupAndDrillAsync();

        var intact = await _workspace.RunAsync("backup", "status", "-e", "dev", "--strict");
        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.Contains($"(backup {id})", intact.Out, StringComparison.Ordinal);
        Assert.Contains("ok", intact.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("DAMAGED", intact.All, StringComparison.Ordinal);

        // Same size, another SHA-256: only the hash can tell.
        var file = BackupFiles.OrdersDataFile(BackupFiles.PathOf(_workspace, id));
        var size = new FileInfo(file).Length;
        await BackupFiles.FlipByteAsync(file);
        Assert.Equal(size, new FileInfo(file).Length);

        var damaged = await _workspace.RunAsync("backup", "status", "-e", "dev", "--strict");
        Assert.True(damaged.ExitCode == 1, damaged.ToString());
        Assert.Contains($"DAMAGED (backup {id})", damaged.Out, StringComparison.Ordinal);
        Assert.Contains("never", damaged.Out, StringComparison.Ordinal);
        Assert.Contains($"damaged: backup {id} of dev passed its drill, but its files no longer match its manifest, so it is not proven (no other backup is proven):", damaged.Error, StringComparison.Ordinal);
        Assert.Contains($"{Path.GetFileName(file)} (data of table sales.orders): the file's SHA-256 differs from the manifest", damaged.Error, StringComparison.Ordinal);

        var json = await _workspace.RunAsync("backup", "status", "-e", "dev", "--strict", "--json");
        Assert.True(json.ExitCode == 1, json.ToString());
        using var document = JsonDocument.Parse(json.Out);
        Assert.False(document.RootElement.GetProperty("ok").GetBoolean());
        var dev = document.RootElement.GetProperty("environments")[0];
        Assert.False(dev.TryGetProperty("lastProvenRestore", out _));
        var entry = Assert.Single(dev.GetProperty("damaged").EnumerateArray());
        Assert.Equal(id, entry.GetProperty("backup").GetString());
        var failure = Assert.Single(entry.GetProperty("failures").EnumerateArray());
        Assert.Equal("manifest", failure.GetProperty("check").GetString());
        Assert.Equal($"dump/{Path.GetFileName(file)} (data of table sales.orders)", failure.GetProperty("object").GetString());
        Assert.Contains("SHA-256 differs", failure.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Without --strict, status reports and exits 0, as it does for a stale one.
        Assert.Equal(0, (await _workspace.RunAsync("backup", "status", "-e", "dev")).ExitCode);

        // Its drill passed, but restore refuses it, --force or not, naming the file, and creates nothing.
        var fresh = "restored_" + Guid.NewGuid().ToString("N")[..8];
        var cluster = await PostgresSandbox.GetAsync();
        var target = CliWorkspace.UrlOf(cluster.ConnectionString(fresh));
        foreach (var force in new[] { false, true })
        {
            var restore = await _workspace.RunAsync(force ? ["backup", "restore", id, "-e", "dev", "--to", target, "--force"] : ["backup", "restore", id, "-e", "dev", "--to", target]);
            Assert.True(restore.ExitCode is 1 or 2, restore.ToString());
            Assert.Contains(Path.GetFileName(file), restore.Error, StringComparison.Ordinal);
            Assert.Equal(0, await PostgresSandbox.ScalarAsync(cluster.ConnectionString(), $"SELECT count(*) FROM pg_database WHERE datname = '{fresh}'"));
        }
    }

    [Fact]
    public async Task Status_with_the_newest_drilled_backup_cut_short_names_the_older_intact_one_as_proven_and_the_newest_as_damaged()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var older = await BackupAndDrillAsync();
        _workspace.Now = CliWorkspace.Weekday.AddHours(1);
        var newest = await BackupAndDrillAsync();
        var file = BackupFiles.OrdersDataFile(BackupFiles.PathOf(_workspace, newest));
        var size = new FileInfo(file).Length;
        await using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(size / 2);
        }

        var status = await _workspace.RunAsync("backup", "status", "-e", "dev", "--strict");

        Assert.True(status.ExitCode == 1, status.ToString());
        Assert.Contains($"(backup {older})", status.Out, StringComparison.Ordinal);
        Assert.Contains($"DAMAGED (backup {newest})", status.Out, StringComparison.Ordinal);
        Assert.Contains($"damaged: backup {newest} of dev passed its drill, but its files no longer match its manifest, so it is not proven (the last proven restore is backup {older}, older):", status.Error, StringComparison.Ordinal);
        Assert.Contains($"the file has {size / 2} bytes, the manifest says {size}", status.Error, StringComparison.Ordinal);
        Assert.Contains("Take a new backup and drill it: `backstop backup run -e dev` and `backstop backup verify --latest -e dev`.", status.Error, StringComparison.Ordinal);

        using var json = JsonDocument.Parse((await _workspace.RunAsync("backup", "status", "-e", "dev", "--json")).Out);
        var dev = json.RootElement.GetProperty("environments")[0];
        Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.False(dev.GetProperty("stale").GetBoolean());
        Assert.Equal(older, dev.GetProperty("lastProvenRestore").GetProperty("backup").GetString());
        Assert.Equal(newest, Assert.Single(dev.GetProperty("damaged").EnumerateArray()).GetProperty("backup").GetString());
    }

    [Fact]
    public async Task Restore_of_a_backup_whose_latest_drill_failed_is_refused_leaving_the_target_as_it_was_and_force_restores_it_saying_so()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var id = await BackupAsync();

        // A dump wrong from the start, checksummed as it is: the files match their manifest, the drill's row count does not.
        var path = BackupFiles.PathOf(_workspace, id);
        var file = BackupFiles.OrdersDataFile(path);
        await BackupFiles.EditDumpAsync(file, text => string.Join('\n', text.Split('\n').Where((_, i) => i != 42)));
        BackupFiles.RewriteChecksum(path, file);
        Assert.Equal(1, (await _workspace.RunAsync("backup", "verify", id, "-e", "dev")).ExitCode);
        await PostgresSandbox.ExecuteAsync(database, "DELETE FROM sales.orders WHERE id <= 10");

        var over = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", "dev", "--json");

        Assert.Equal(2, over.ExitCode);
        Assert.StartsWith($"backup {id} of dev failed its latest restore drill (", over.JsonError, StringComparison.Ordinal);
        Assert.Contains("): rows check failed for sales.orders: 4,999 rows restored, 5,000 at backup time; nothing was restored. ", over.JsonError, StringComparison.Ordinal);
        Assert.EndsWith("Use --force to restore it anyway, or choose another backup (`backstop backup list -e dev` shows each one's last drill)", over.JsonError, StringComparison.Ordinal);
        Assert.Equal(4990, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM sales.orders"));
        Assert.Equal(300, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM crm.users"));

        // Into a new database: refused all the same, and the database is not even created.
        var name = "restored_" + Guid.NewGuid().ToString("N")[..8];
        var fresh = CliWorkspace.UrlOf(database)[..(CliWorkspace.UrlOf(database).LastIndexOf('/') + 1)] + name;
        var refused = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"backup {id} of dev failed its latest restore drill", refused.Error, StringComparison.Ordinal);
        var cluster = await PostgresSandbox.GetAsync();
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(cluster.ConnectionString(), $"SELECT count(*) FROM pg_database WHERE datname = '{name}'"));

        var forced = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Contains($"warning: backup {id} failed its latest restore drill (rows check failed for sales.orders: 4,999 rows restored, 5,000 at backup time); restoring it anyway, as --force asks.", forced.Error, StringComparison.Ordinal);
        Assert.Contains("although its latest drill failed (--force)", forced.Error, StringComparison.Ordinal);
        Assert.Equal(4999, await PostgresSandbox.ScalarAsync(cluster.ConnectionString(name), "SELECT count(*) FROM sales.orders"));

        // Over the environment's database, --force also takes the tier's confirmation (--yes on development).
        var forcedOver = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", "dev", "--force", "--yes", "--json");
        Assert.True(forcedOver.ExitCode == 0, forcedOver.ToString());
        using var json = JsonDocument.Parse(forcedOver.Out);
        Assert.Equal("rows", json.RootElement.GetProperty("failedDrill").GetProperty("failedCheck").GetString());
        Assert.Equal("sales.orders", json.RootElement.GetProperty("failedDrill").GetProperty("failedObject").GetString());
        Assert.Equal(4999, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM sales.orders"));
    }

    private Task<string> BackupAsync() => BackupFiles.TakeAsync(_workspace);

    private async Task<string> BackupAndDrillAsync()
    {
        var id = await BackupAsync();
        var verify = await _workspace.RunAsync("backup", "verify", id, "-e", "dev");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        return id;
    }
}
