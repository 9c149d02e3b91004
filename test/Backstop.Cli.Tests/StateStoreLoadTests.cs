using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// The state file under load: a 200 MB script recorded, then ten `backstop run`s and `backstop changes` at once, each in
/// a process of its own. None may fail, and `show` of the large change stays short and correct. (The time `show` takes
/// is in docs/benchmarks.md; a test asserts correctness, never time.)
/// </summary>
[Trait("Area", "State")]
[Collection(RunsAlone.Name)]
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class StateStoreLoadTests : IDisposable
{
    private const string FirstStatement = "UPDATE t SET note = 'big' WHERE id = 0;";

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_and_changes_ten_at_once_with_a_200_MB_script_recorded_all_succeed_and_show_truncates_it()
    {
        var database = await _workspace.AddEnvironmentAsync(
            "dev", "development", "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'before' FROM generate_series(0, 10) g;");

        // Changes on one table take turns (each holds its capture triggers' lock until it commits): under a loaded
        // machine the last of ten may wait longer than the default lock_timeout of 2 s, which would be a refusal, not a
        // failure of the state file, and is not what this test is about.
        await _workspace.AddSettingAsync("dev", "lock_timeout: 60s");
        var script = Path.Combine(_workspace.Directory, "big.sql");
        var (scriptBytes, scriptSha256) = WriteLargeScript(script);

        var big = await _workspace.RunAsync("run", "-e", "dev", "--json", "-f", script);
        Assert.True(big.ExitCode == 0, big.ToString());
        var bigId = big.ChangeId;

        var runs = Enumerable.Range(1, 10).Select(i =>
            BackstopProcess.RunAsync(_workspace.Directory, ["run", "-e", "dev", "-c", $"UPDATE t SET note = 'run {i}' WHERE id = {i}"]));
        var lists = Enumerable.Range(0, 10).Select(_ => BackstopProcess.RunAsync(_workspace.Directory, ["changes", "--json", "--limit", "100"]));
        var results = await Task.WhenAll(runs.Concat(lists));

        var show = await _workspace.RunAsync("show", bigId);
        var showJson = await _workspace.RunAsync("show", bigId, "--json");
        var whole = new HashingStream();
        var wholeScript = await BackstopProcess.RunAsync(_workspace.Directory, ["show", bigId, "--script"], whole);
        var changes = await _workspace.RunAsync("changes", "--json", "--limit", "100");

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.All(results, r => Assert.DoesNotContain("locked", r.All, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM t WHERE note LIKE 'run %'"));
        using (var listed = JsonDocument.Parse(changes.Out))
        {
            var outcomes = listed.RootElement.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("outcome").GetString()).ToList();
            Assert.Equal(11, outcomes.Count);
            Assert.All(outcomes, o => Assert.Equal("committed", o));
        }

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains(FirstStatement, show.Out, StringComparison.Ordinal);
        Assert.Contains(
            $"(script truncated: {scriptBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes in all, SHA-256 {scriptSha256}; `backstop show {bigId} --script` prints it whole)",
            show.Out, StringComparison.Ordinal);
        Assert.True(show.Out.Length < 200_000, $"show printed {show.Out.Length} characters");
        using (var json = JsonDocument.Parse(showJson.Out))
        {
            Assert.True(json.RootElement.GetProperty("scriptTruncated").GetBoolean());
            Assert.Equal(scriptBytes, json.RootElement.GetProperty("scriptBytes").GetInt64());
            Assert.Equal(scriptSha256, json.RootElement.GetProperty("scriptSha256").GetString());
            Assert.Equal(65_536, json.RootElement.GetProperty("script").GetString()!.Length);
        }

        Assert.True(wholeScript.ExitCode == 0, wholeScript.ToString());
        Assert.Equal(scriptBytes, whole.Length);
        Assert.Equal(scriptSha256, whole.Sha256());
    }

    /// <summary>
    /// One UPDATE, then 200 comment lines of 1 MiB each: 200 MiB that Backstop must keep but never run as SQL.
    /// (Lines, not one comment: a single comment above 128 Mi characters is refused by the lexer.)
    /// </summary>
    private static (long Bytes, string Sha256) WriteLargeScript(string path)
    {
        var line = Encoding.UTF8.GetBytes("-- " + new string('x', (1 << 20) - 4) + "\n");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = File.Create(path);
        var first = Encoding.UTF8.GetBytes(FirstStatement + "\n");
        file.Write(first);
        hash.AppendData(first);
        for (var i = 0; i < 200; i++)
        {
            file.Write(line);
            hash.AppendData(line);
        }

        return (file.Length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Counts and hashes what is written to it, so a 200 MB output is checked without being held.</summary>
    private sealed class HashingStream : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public string Sha256() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override void Write(byte[] buffer, int offset, int count)
        {
            _hash.AppendData(buffer, offset, count);
            _length += count;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
