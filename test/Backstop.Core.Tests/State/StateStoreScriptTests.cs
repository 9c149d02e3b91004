using System.Security.Cryptography;
using System.Text;
using Backstop.Core.State;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.Tests.State;

/// <summary>Scripts are kept once by SHA-256 and read back only as far as needed, in either store; the file takes several commands at once.</summary>
[Trait("Area", "State")]
public sealed class StateStoreScriptTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backstop-state-{Guid.NewGuid():N}");

    private string StateDirectory => Path.Combine(_directory, ".backstop");

    private string DatabasePath => Path.Combine(StateDirectory, "state.db");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task GetAsync_script_above_64_KiB_reads_its_beginning_and_CopyScriptAsync_the_whole(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var script = "UPDATE orders SET note = 'Zoë ✓' WHERE id = 1;\n-- " + new string('x', 300_000) + "\n-- the end ✓";
        var id = await store.AddAsync(WithScript(script), CancellationToken.None);

        var shown = await store.GetAsync(id, CancellationToken.None);
        var listed = Assert.Single(await store.ListAsync(null, 10, CancellationToken.None));
        var whole = new StringWriter();
        var copied = await store.CopyScriptAsync(id, whole, CancellationToken.None);

        Assert.NotNull(shown);
        Assert.True(shown.ScriptTruncated);
        Assert.Equal(65_536, shown.Script.Length);
        Assert.Equal(script[..65_536], shown.Script);
        Assert.Equal(Encoding.UTF8.GetByteCount(script), shown.ScriptBytes);
        Assert.True(listed.ScriptTruncated);
        Assert.Equal(script[..200], listed.Script);
        Assert.True(copied);
        Assert.Equal(script, whole.ToString());
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task CopyScriptAsync_missing_change_returns_false_and_writes_nothing(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var whole = new StringWriter();

        Assert.False(await store.CopyScriptAsync(7, whole, CancellationToken.None));
        Assert.Empty(whole.ToString());
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task AddAsync_same_script_twice_keeps_it_once(string kind)
    {
        var location = await TestStores.CreateAsync(kind, StateDirectory);
        var store = await StateStores.OpenAsync(location, null, CancellationToken.None);
        var first = await store.AddAsync(WithScript("DELETE FROM orders WHERE id = 1"), CancellationToken.None);
        var second = await store.AddAsync(WithScript("DELETE FROM orders WHERE id = 1"), CancellationToken.None);
        await store.AddAsync(WithScript("DELETE FROM orders WHERE id = 2"), CancellationToken.None);

        Assert.Equal(2, await TestStores.CountAsync(location, "scripts"));
        Assert.Equal("DELETE FROM orders WHERE id = 1", (await store.GetAsync(first, CancellationToken.None))!.Script);
        Assert.Equal("DELETE FROM orders WHERE id = 1", (await store.GetAsync(second, CancellationToken.None))!.Script);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task FindIdAsync_change_uuid_returns_the_local_id(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var change = WithScript("DELETE FROM orders WHERE id = 1") with { ChangeUuid = Guid.CreateVersion7() };
        await store.AddAsync(WithScript("SELECT 1"), CancellationToken.None);
        var id = await store.AddAsync(change, CancellationToken.None);

        Assert.Equal(id, await store.FindIdAsync(change.ChangeUuid, CancellationToken.None));
        Assert.Null(await store.FindIdAsync(Guid.CreateVersion7(), CancellationToken.None));
    }

    [Fact]
    public async Task AddAsync_from_ten_stores_at_once_records_every_change()
    {
        await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);

        var ids = await Task.WhenAll(Enumerable.Range(0, 10).Select(worker => Task.Run(async () =>
        {
            var store = await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);
            var mine = new List<long>();
            for (var i = 0; i < 20; i++)
            {
                var id = await store.AddAsync(WithScript($"DELETE FROM orders WHERE id = {worker * 100 + i}"), CancellationToken.None);
                await store.UpdateAsync((await store.GetAsync(id, CancellationToken.None))! with { Outcome = ChangeOutcome.Committed }, CancellationToken.None);
                await store.ListAsync(null, 50, CancellationToken.None);
                mine.Add(id);
            }

            return mine;
        })));

        var all = ids.SelectMany(i => i).ToList();
        Assert.Equal(200, all.Distinct().Count());
        Assert.Equal(200, await ScalarAsync("SELECT count(*) FROM changes WHERE outcome = 'Committed'"));
        Assert.Equal("wal", await TextAsync("PRAGMA journal_mode"));
    }

    private static ChangeRecord WithScript(string script) => StateStoreTests.Change("production") with
    {
        Script = script,
        ScriptSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script))),
    };

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new SqliteCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string> TextAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new SqliteCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
