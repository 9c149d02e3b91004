using System.IO.Compression;
using System.Text;

namespace Backstop.Cli.Tests;

/// <summary>Backups of a workspace's environment <c>dev</c>: taking one, where its files are, and the ways the tests damage them.</summary>
internal static class BackupFiles
{
    /// <summary><c>backup run -e dev</c>, which must succeed; returns the new backup's id.</summary>
    public static async Task<string> TakeAsync(CliWorkspace workspace)
    {
        var run = await workspace.RunAsync("backup", "run", "-e", "dev", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.Out);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    public static string PathOf(CliWorkspace workspace, string id) => Path.Combine(workspace.Directory, ".backstop", "backups", "dev", id);

    /// <summary>The dump file holding sales.orders (<see cref="BackupSchema"/>), found from the dump's table of contents.</summary>
    public static string OrdersDataFile(string backupPath)
    {
        var dump = Path.Combine(backupPath, "dump");
        using var list = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Backstop.Postgres.Tools.ClientTool.PathOf("pg_restore"), ["--list", dump]) { RedirectStandardOutput = true })!;
        var toc = list.StandardOutput.ReadToEnd();
        list.WaitForExit();
        var line = toc.Split('\n').Single(l => l.Contains("TABLE DATA sales orders ", StringComparison.Ordinal));
        return Path.Combine(dump, line[..line.IndexOf(';', StringComparison.Ordinal)] + ".dat.gz");
    }

    /// <summary>Flips one bit in the middle of the file: same size, another SHA-256.</summary>
    public static async Task FlipByteAsync(string file)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);
    }

    /// <summary>Rewrites a gzipped COPY data file of the dump with <paramref name="edit"/> applied to its text.</summary>
    public static async Task EditDumpAsync(string file, Func<string, string> edit)
    {
        string text;
        await using (var input = new GZipStream(File.OpenRead(file), CompressionMode.Decompress))
        using (var reader = new StreamReader(input, Encoding.UTF8))
        {
            text = await reader.ReadToEndAsync();
        }

        var edited = edit(text);
        Assert.NotEqual(text, edited);
        await using var output = new GZipStream(File.Create(file), CompressionLevel.Optimal);
        await output.WriteAsync(Encoding.UTF8.GetBytes(edited));
    }

    /// <summary>Makes the manifest agree with the file as it is now: a dump that was wrong before it was checksummed.</summary>
    public static void RewriteChecksum(string backupPath, string file)
    {
        var manifestPath = Path.Combine(backupPath, "manifest.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var relative = Path.GetRelativePath(backupPath, file).Replace('\\', '/');
        var entry = manifest["files"]!.AsArray().Single(f => f!["path"]!.GetValue<string>() == relative)!;
        entry["size"] = new FileInfo(file).Length;
        entry["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }
}
