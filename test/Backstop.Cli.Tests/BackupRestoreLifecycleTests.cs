using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// <c>backup restore --force</c> over an environment's database is a change of its own: judged by the tier's policy
/// (destructive DDL), confirmed as the tier asks (the typed name on production), and recorded with actor and verdict.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class BackupRestoreLifecycleTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE invoices (id int PRIMARY KEY, total numeric NOT NULL);
        INSERT INTO invoices SELECT g, g * 10 FROM generate_series(1, 300) g;
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task A_restore_over_production_needs_approval_by_default_the_typed_name_where_the_policy_says_confirm_and_is_recorded()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        var backup = await _workspace.RunAsync("backup", "run", "-e", "prod", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()!;
        await PostgresSandbox.ExecuteAsync(database, "DELETE FROM invoices WHERE id > 100");

        // The production policy asks a second person for destructive DDL, and a restore over a database is that.
        var byDefault = await _workspace.RunAsync("backup", "restore", id, "-e", "prod", "--to", "prod", "--force", "--confirm", "prod");
        Assert.Equal(4, byDefault.ExitCode);
        Assert.Contains("second person's approval", byDefault.Out, StringComparison.Ordinal);
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM invoices"));

        var config = await File.ReadAllTextAsync(_workspace.ConfigPath);
        await File.WriteAllTextAsync(_workspace.ConfigPath, config.Replace("  production:\n", "  production:\n    destructive_ddl: confirm\n", StringComparison.Ordinal));
        var yes = await _workspace.RunAsync("backup", "restore", id, "-e", "prod", "--to", "prod", "--force", "--yes");
        Assert.Equal(4, yes.ExitCode);
        Assert.Contains("--confirm prod", yes.Error, StringComparison.Ordinal);
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM invoices"));

        var typed = await _workspace.RunAsync("backup", "restore", id, "-e", "prod", "--to", "prod", "--force", "--confirm", "prod", "--json");

        Assert.True(typed.ExitCode == 0, typed.ToString());
        Assert.Equal(300, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM invoices"));
        using var changes = JsonDocument.Parse((await _workspace.RunAsync("changes", "--json")).Out);
        var listed = changes.RootElement.GetProperty("changes").EnumerateArray().Select(c => (
            Id: c.GetProperty("id").GetInt64(), Outcome: c.GetProperty("outcome").GetString(), Verdict: c.GetProperty("verdict").GetString(), Actor: c.GetProperty("actor").GetString())).ToList();
        Assert.Equal(["committed", "notConfirmed", "needsApproval"], listed.Select(c => c.Outcome));
        Assert.Equal(["confirm", "confirm", "approve"], listed.Select(c => c.Verdict));
        Assert.All(listed, c => Assert.Equal(Environment.UserName, c.Actor));
        var shown = await _workspace.RunAsync("show", listed[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains($"restore backup {id} over database", shown.Out, StringComparison.Ordinal);
        // The change log of the restored database holds it too.
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, $"SELECT count(*) FROM backstop.changes WHERE local_id = {listed[0].Id}"));
    }
}
