using System.Text.Json;
using Backstop.Recovery.Backups;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// A backup killed (SIGKILL, the process alone, as the kernel's OOM killer or a `kill -9` would) at random points is
/// never listed as usable, leaves nothing that the next backup trips over, and the next backup succeeds and is proven.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class BackupCrashTests : IDisposable
{
    private const int Kills = 6;
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task A_backup_killed_part_way_is_never_usable_and_the_next_one_succeeds()
    {
        // Big enough that pg_dump runs for a second or two.
        await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE events (id bigint PRIMARY KEY, kind int, payload text);
            INSERT INTO events SELECT g, g % 17, repeat(md5(g::text), 4) FROM generate_series(1, 600000) g;
            CREATE TABLE kinds (id int PRIMARY KEY, name text);
            INSERT INTO kinds SELECT g, 'kind ' || g FROM generate_series(0, 16) g;
            """);
        var random = new Random(20261121);
        var finishedOnTheirOwn = 0;
        for (var attempt = 0; attempt < Kills; attempt++)
        {
            if (await KillDuringAsync(["backup", "run", "-e", "dev"], TimeSpan.FromMilliseconds(random.Next(400, 3500))))
            {
                finishedOnTheirOwn++;
            }

            var list = await _workspace.RunAsync("backup", "list", "-e", "dev", "--all", "--json");
            Assert.True(list.ExitCode == 0, list.ToString());
            using var json = JsonDocument.Parse(list.Out);
            var backups = json.RootElement.GetProperty("backups").EnumerateArray().ToList();
            var usable = backups.Where(b => b.GetProperty("usable").GetBoolean()).ToList();
            // A run killed between its rename and its catalog update is complete, and is settled as such; any other
            // usable backup is one that finished. Every usable one must match its manifest in full.
            Assert.InRange(usable.Count, finishedOnTheirOwn, attempt + 1);
            foreach (var backup in usable)
            {
                var path = backup.GetProperty("path").GetString()!;
                Assert.Empty(await ManifestCheck.CheckAsync(path, BackupManifest.Read(path), CancellationToken.None));
            }

            Assert.All(backups.Where(b => !b.GetProperty("usable").GetBoolean()), b => Assert.Equal("interrupted", b.GetProperty("status").GetString()));
        }

        Assert.True(finishedOnTheirOwn < Kills, "every run finished before its kill: the test killed nothing");
        var next = await _workspace.RunAsync("backup", "run", "-e", "dev", "--json");
        Assert.True(next.ExitCode == 0, next.ToString());
        var repository = Path.Combine(_workspace.Directory, ".backstop", "backups", "dev");
        Assert.Empty(Directory.GetDirectories(repository, ".partial-*"));

        var verify = await _workspace.RunAsync("backup", "verify", "--latest", "-e", "dev");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    /// <summary>Runs the real binary and kills it alone after <paramref name="after"/>; true when it finished first.</summary>
    private async Task<bool> KillDuringAsync(string[] args, TimeSpan after)
    {
        var (finished, exitCode, errors) = await BackstopProcess.RunAndKillAsync(_workspace.Directory, args, after, entireTree: false);
        if (finished)
        {
            Assert.True(exitCode == 0, errors);
        }

        return finished;
    }
}
