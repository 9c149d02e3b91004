using System.Text.Json;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Postgres.Tests.Sandbox;

/// <summary>
/// A sandbox cluster's life, in a root of its own (the test run's shared cluster lives in the default one): started on
/// a free loopback port with its settings, listed and found by name as another process would, stopped and removed.
/// </summary>
public sealed class SandboxClusterTests : IDisposable
{
    // Not a 0700 temporary directory: when we are root the server runs as postgres, which must reach the sandbox below it.
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "backstop-sandbox-tests-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait(TestSpeed.Name, TestSpeed.Slow)]
    public async Task StartAsync_then_Find_then_StopAsync_runs_a_server_that_another_process_can_find_and_stop()
    {
        var options = new SandboxOptions { Name = "lifecycle", Root = _root, Settings = new Dictionary<string, string> { ["work_mem"] = "7MB" } };
        var cluster = await SandboxCluster.StartAsync(options);
        try
        {
            var (info, running) = Assert.Single(SandboxCluster.List(_root));
            Assert.Equal("lifecycle", info.Name);
            Assert.True(running);

            await using (var connection = new NpgsqlConnection(PgUrl.Parse(cluster.Url).ToConnectionString()))
            {
                await connection.OpenAsync();
                Assert.Equal(
                    [info.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1", "off", "7MB", "postgres"],
                    await ShowAsync(connection, "port", "listen_addresses", "fsync", "work_mem", "session_authorization"));
            }

            var found = SandboxCluster.Find("lifecycle", _root);
            Assert.Equal(info.Port, found.Info.Port);
            await found.StopAsync();

            Assert.False(Directory.Exists(info.Directory));
            Assert.Empty(SandboxCluster.List(_root));
            await using var gone = new NpgsqlConnection(cluster.ConnectionString());
            await Assert.ThrowsAsync<NpgsqlException>(() => gone.OpenAsync());
        }
        finally
        {
            // Safe when it is stopped already.
            await cluster.StopAsync();
        }
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("../escape")]
    [InlineData("")]
    public async Task StartAsync_invalid_name_is_a_usage_error_and_creates_nothing(string name)
    {
        var error = await Assert.ThrowsAsync<SandboxException>(() => SandboxCluster.StartAsync(new SandboxOptions { Name = name, Root = _root }));

        Assert.True(error.IsUsageError);
        Assert.Equal($"the sandbox name '{name}' is not valid; use 1 to 40 letters, digits, '-' or '_'", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task StartAsync_name_taken_is_a_usage_error_that_leaves_the_other_in_place()
    {
        var taken = Directory.CreateDirectory(Path.Combine(_root, "taken"));
        File.WriteAllText(Path.Combine(taken.FullName, "keep.txt"), "mine");

        var error = await Assert.ThrowsAsync<SandboxException>(() => SandboxCluster.StartAsync(new SandboxOptions { Name = "taken", Root = _root }));

        Assert.True(error.IsUsageError);
        Assert.StartsWith("a sandbox named 'taken' already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(taken.FullName, "keep.txt")));
    }

    [Fact]
    public void Find_unknown_name_names_the_known_ones()
    {
        WriteRecord("ghost");

        var error = Assert.Throws<SandboxException>(() => SandboxCluster.Find("nope", _root));

        Assert.True(error.IsUsageError);
        Assert.Equal("there is no sandbox named 'nope'; known: ghost", error.Message);
    }

    [Fact]
    public void Find_with_none_says_how_to_start_one()
    {
        var error = Assert.Throws<SandboxException>(() => SandboxCluster.Find("nope", _root));

        Assert.Equal("there is no sandbox named 'nope'; none exist (start one with `backstop sandbox start`)", error.Message);
    }

    [Fact]
    public void Find_name_that_climbs_out_of_the_root_is_unknown()
    {
        WriteRecord("ghost");

        var error = Assert.Throws<SandboxException>(() => SandboxCluster.Find("ghost/../ghost", _root));

        Assert.StartsWith("there is no sandbox named 'ghost/../ghost'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_of_a_sandbox_whose_server_is_gone_removes_its_directory()
    {
        var directory = WriteRecord("ghost");

        var (info, running) = Assert.Single(SandboxCluster.List(_root));
        Assert.False(running);
        await SandboxCluster.Find(info.Name, _root).StopAsync();

        Assert.False(Directory.Exists(directory));
    }

    private string WriteRecord(string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        var info = new SandboxInfo { Name = name, Port = 1, Directory = directory, CreatedAt = DateTimeOffset.UtcNow };
        File.WriteAllText(Path.Combine(directory, "sandbox.json"), JsonSerializer.Serialize(info));
        return directory;
    }

    private static async Task<string[]> ShowAsync(NpgsqlConnection connection, params string[] settings)
    {
        var values = new string[settings.Length];
        for (var i = 0; i < settings.Length; i++)
        {
            await using var show = new NpgsqlCommand("SELECT current_setting(@name)", connection);
            show.Parameters.AddWithValue("name", settings[i]);
            values[i] = (string)(await show.ExecuteScalarAsync())!;
        }

        return values;
    }
}
