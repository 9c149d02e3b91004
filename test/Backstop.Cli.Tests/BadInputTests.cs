using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>Bad input gets a clear error naming the thing and the fix, the documented exit code, and nothing runs.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData("INSERT INTO orders (id) VALUES (99999);\nSELECT 'oops;", "line 2, column 8")]
    [InlineData("INSERT INTO orders (id) VALUES (99999);\nDO $body$ BEGIN", "line 2, column 4")]
    [InlineData("INSERT INTO orders (id) VALUES (99999);\n/* outer /* inner */ still open", "line 2, column 1")]
    [InlineData("INSERT INTO orders (id) VALUES (99999);\nSELECT \"unfinished", "line 2, column 8")]
    public async Task Run_unterminated_literal_exits_2_with_position_and_runs_nothing(string script, string position)
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "dev", "-c", script);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(position, result.Error, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE id = 99999"));
    }

    [Fact]
    public async Task Check_unreachable_server_exits_1_naming_host_and_port_without_the_password()
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, "environments:\n  prod:\n    url: env:PROD_URL\n    tier: production\n");
        _workspace.Variables["PROD_URL"] = "postgresql://app:s3cr3t-pw@127.0.0.1:1/app";

        var result = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("127.0.0.1:1", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-pw", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_unknown_environment_exits_2_listing_the_known_ones()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", "SELECT 1");
        await _workspace.AddEnvironmentAsync("staging", "staging", "SELECT 1");

        var result = await _workspace.RunAsync("check", "-e", "prd", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown environment 'prd'", result.Error, StringComparison.Ordinal);
        Assert.Contains("known: prod, staging", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_missing_config_exits_2_naming_the_file_and_init()
    {
        var result = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(_workspace.ConfigPath, result.Error, StringComparison.Ordinal);
        Assert.Contains("backstop init", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("environments:\n  prod:\n    url: postgresql://x@h/db\n    tier: prodution\n", ":4:11:", "development, staging, production")]
    [InlineData("environments:\n  prod:\n    url: postgresql://x@h/db\n    tier: production\n    colour: red\n", ":5:5:", "unknown key 'colour'")]
    [InlineData("environments:\n  prod: [unclosed\n", ":3:1:", "invalid YAML")]
    [InlineData("policies:\n  production:\n    all_rows: maybe\n", ":3:15:", "allow, confirm, approve, deny")]
    public async Task Check_invalid_config_exits_2_with_file_and_line(string yaml, string position, string hint)
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, yaml);

        var result = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(_workspace.ConfigPath + position, result.Error, StringComparison.Ordinal);
        Assert.Contains(hint, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_script_with_its_own_transaction_control_exits_2()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "dev", "-c", "BEGIN; DELETE FROM orders; COMMIT;");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Backstop runs the whole script in one transaction", result.Error, StringComparison.Ordinal);
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task Env_add_with_a_password_in_the_url_is_refused()
    {
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);

        var result = await _workspace.RunAsync("env", "add", "prod", "--url", "postgresql://app:hunter2@127.0.0.1:5432/app", "--tier", "production");

        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("hunter2", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", await File.ReadAllTextAsync(_workspace.ConfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Env_add_with_the_url_in_a_file_keeps_the_file_name_and_never_the_password()
    {
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);
        var database = await PostgresSandbox.CreateDatabaseAsync("envfile");
        var path = Path.Combine(_workspace.Directory, "prod.url");
        await File.WriteAllTextAsync(path, CliWorkspace.UrlOf(database).Replace("@", ":hunter2@", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var result = await _workspace.RunAsync("env", "add", "prod", "--url", "file:" + path, "--tier", "production");

        Assert.True(result.ExitCode == 0, result.ToString());
        var config = await File.ReadAllTextAsync(_workspace.ConfigPath);
        Assert.Contains("file:" + path, config, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", config + result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_without_a_script_exits_2()
    {
        var result = await _workspace.RunAsync("run", "-e", "prod");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("-f FILE, -c SQL, or -", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_option_exits_2()
    {
        var result = await _workspace.RunAsync("check", "--frobnicate");

        Assert.Equal(2, result.ExitCode);
    }
}
