using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>Typed confirmation on production, and the impact re-check between preview and run.</summary>
public sealed class ConfirmationTests : IDisposable
{
    private const string SmallWrite = "UPDATE orders SET source = 'api' WHERE id = 7";

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_production_with_wrong_confirm_name_changes_nothing()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "prod", "--confirm", "staging", "-c", SmallWrite);

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("does not match", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE source = 'api'"));
    }

    [Fact]
    public async Task Run_production_yes_is_not_enough()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "prod", "--yes", "-c", SmallWrite);

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("--confirm prod", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE source = 'api'"));
    }

    [Fact]
    public async Task Run_production_typed_name_at_the_prompt_commits()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunWithInputAsync(new StringReader("prod\n"), interactive: true, "run", "-e", "prod", "-c", SmallWrite);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Type the environment's name", result.Error, StringComparison.Ordinal);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE source = 'api'"));
    }

    [Fact]
    public async Task Run_production_mistyped_name_at_the_prompt_changes_nothing()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunWithInputAsync(new StringReader("prd\n"), interactive: true, "run", "-e", "prod", "-c", SmallWrite);

        Assert.Equal(4, result.ExitCode);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE source = 'api'"));
    }

    [Fact]
    public async Task Run_rows_added_between_preview_and_run_that_cross_a_threshold_roll_back()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);
        await PostgresSandbox.ExecuteAsync(database, "UPDATE orders SET source = 'import' WHERE id <= 900");

        // While the user reads the preview (900 rows: confirm), an import adds 300 more matching rows.
        var input = new ActingReader("prod", () => PostgresSandbox.ExecuteAsync(database, "INSERT INTO orders (id, source) SELECT g, 'import' FROM generate_series(10001, 10300) g"));
        var result = await _workspace.RunWithInputAsync(input, interactive: true, "run", "-e", "prod", "-c", "UPDATE orders SET is_deleted = true WHERE source = 'import'");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("impact changed", result.Out, StringComparison.Ordinal);
        Assert.Contains("public.orders: updated 900 in the preview, 1,200 when run", result.Out, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE is_deleted"));

        var changes = await _workspace.RunAsync("changes", "--json");
        Assert.Contains("\"outcome\": \"impactChanged\"", changes.Out, StringComparison.Ordinal);
    }

    /// <summary>Answers a prompt, but first does something, as another user of the database would meanwhile.</summary>
    private sealed class ActingReader(string answer, Func<Task> meanwhile) : TextReader
    {
        public override string? ReadLine()
        {
            meanwhile().GetAwaiter().GetResult();
            return answer;
        }

        public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            await meanwhile();
            return answer;
        }
    }
}
