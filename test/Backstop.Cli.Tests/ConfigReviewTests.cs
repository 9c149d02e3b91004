namespace Backstop.Cli.Tests;

/// <summary>Configuration mistakes found by review: exit 2, the file and line, the fix.</summary>
public sealed class ConfigReviewTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData("    url: postgresql://app@127.0.0.1/shop?sslmode=bogus\n    tier: production\n", ":3:10: the URL of environment 'prod' is not valid: the connection URL parameter sslmode=bogus is not accepted by Npgsql")]
    [InlineData("    url: postgresql://app@127.0.0.1/shop\n    tier: production\n    lock_timeout: 30d\n", ":5:19: 'lock_timeout' is '30d', out of range; use from 1ms to 2147483647ms")]
    public async Task Check_configuration_error_exits_2_with_file_and_line(string environment, string message)
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, "environments:\n  prod:\n" + environment);

        var result = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(_workspace.ConfigPath + message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Env_add_name_that_differs_only_in_case_exits_2_and_leaves_the_file_alone()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", "SELECT 1");
        var before = await File.ReadAllTextAsync(_workspace.ConfigPath);

        var result = await _workspace.RunAsync("env", "add", "PROD", "--url", CliWorkspace.UrlOf(database), "--tier", "development");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"environment 'prod' in {_workspace.ConfigPath} differs from 'PROD' only in case", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(_workspace.ConfigPath));
    }
}
