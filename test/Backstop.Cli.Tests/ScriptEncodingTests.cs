using System.Text;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>A script whose bytes the server would read otherwise than Backstop does (NUL, invalid UTF-8) is refused before anything runs.</summary>
public sealed class ScriptEncodingTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_file_with_invalid_utf8_exits_2_with_line_and_column_and_runs_nothing()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", IncidentSchema.Sql);
        var file = Path.Combine(_workspace.Directory, "latin1.sql");
        await File.WriteAllBytesAsync(file, [.. "INSERT INTO orders (id) VALUES (99999);\nUPDATE orders SET source = '"u8, 0xE9, .. "t' WHERE id = 1;\n"u8]);

        var result = await _workspace.RunAsync("run", "-e", "dev", "-f", file);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"the script file {file} is not valid UTF-8: byte 0xE9 at line 2, column 29", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE id = 99999"));
    }

    [Fact]
    public async Task Run_script_with_nul_exits_2_with_line_and_column_and_runs_nothing()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", IncidentSchema.Sql);
        var file = Path.Combine(_workspace.Directory, "nul.sql");
        await File.WriteAllTextAsync(file, "INSERT INTO orders (id) VALUES (99999);\nDELETE FROM orders\0 WHERE id = 1;\n", Encoding.UTF8);

        var result = await _workspace.RunAsync("run", "-e", "dev", "-f", file);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the script holds a NUL character at line 2, column 19", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE id = 99999"));
    }
}
