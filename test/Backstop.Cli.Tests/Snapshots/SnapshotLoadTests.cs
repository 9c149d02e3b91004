using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Snapshots;

/// <summary>snapshot load never lands on production or over data, and list/load refuse what they cannot read.</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class SnapshotLoadTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public SnapshotLoadTests() => _workspace.Variables[SnapshotRules.KeyVariable] = "another test key, long enough to be a key";

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Load_refuses_a_production_environment_any_database_on_its_cluster_a_non_empty_target_and_a_newer_manifest()
    {
        var production = await _workspace.AddEnvironmentAsync("prod", "production", SnapshotSchema.Sql);
        var staging = await _workspace.AddEnvironmentAsync("staging", "staging", "CREATE TABLE kept_here (id int)");
        _workspace.Snapshots = SnapshotRules.Inputs(SnapshotRules.Masked());
        var create = await _workspace.RunAsync("snapshot", "create", "-e", "prod", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        using var created = JsonDocument.Parse(create.Out);
        var id = created.RootElement.GetProperty("id").GetString()!;

        var intoProduction = await _workspace.RunAsync("snapshot", "load", id, "--to", "prod");
        Assert.Equal(2, intoProduction.ExitCode);
        Assert.Contains("production tier", intoProduction.Error, StringComparison.Ordinal);

        // The test cluster is production's, so a URL to a new database on it is production too.
        var url = CliWorkspace.UrlOf(production);
        var intoProductionCluster = await _workspace.RunAsync("snapshot", "load", id, "--to", url[..url.LastIndexOf('/')] + "/fresh_copy", "--json");
        Assert.Equal(2, intoProductionCluster.ExitCode);
        Assert.Contains("cluster of production environment 'prod'", intoProductionCluster.JsonError, StringComparison.Ordinal);
        Assert.Contains("never loaded into production", intoProductionCluster.JsonError, StringComparison.Ordinal);

        // Nothing was loaded anywhere.
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(staging, "SELECT count(*) FROM pg_class WHERE relname = 'kept_here'"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(staging, "SELECT count(*) FROM pg_class WHERE relname = 'users'"));

        var manifest = Path.Combine(created.RootElement.GetProperty("path").GetString()!, "manifest.json");
        var text = await File.ReadAllTextAsync(manifest);
        await File.WriteAllTextAsync(manifest, text.Replace("\"format\": 1", "\"format\": 7", StringComparison.Ordinal));
        var newer = await _workspace.RunAsync("snapshot", "load", id, "--to", "staging");
        Assert.Equal(2, newer.ExitCode);
        Assert.Contains("manifest format 7, newer than this Backstop reads (1)", newer.Error, StringComparison.Ordinal);
        var list = await _workspace.RunAsync("snapshot", "list", "--json");
        using var listed = JsonDocument.Parse(list.Out);
        var only = Assert.Single(listed.RootElement.GetProperty("snapshots").EnumerateArray());
        Assert.Equal("unreadable", only.GetProperty("status").GetString());
        Assert.False(only.GetProperty("usable").GetBoolean());
    }

    [Fact]
    public async Task Load_into_a_non_empty_development_database_needs_clean()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", SnapshotSchema.Sql);
        var local = await _workspace.AddEnvironmentAsync("local", "development", "CREATE TABLE users (id int); INSERT INTO users VALUES (1)");
        _workspace.Snapshots = SnapshotRules.Inputs(SnapshotRules.Masked());
        var create = await _workspace.RunAsync("snapshot", "create", "-e", "dev", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = JsonDocument.Parse(create.Out).RootElement.GetProperty("id").GetString()!;

        var refused = await _workspace.RunAsync("snapshot", "load", id, "--to", "local");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("is not empty", refused.Error, StringComparison.Ordinal);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(local, "SELECT count(*) FROM users"));

        var clean = await _workspace.RunAsync("snapshot", "load", id, "--to", "local", "--clean");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(local, "SELECT count(*) FROM users"));
    }
}
