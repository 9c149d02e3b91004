using System.Diagnostics;
using System.Globalization;
using Backstop.Core.Audit;
using Backstop.Core.State;
using Backstop.Postgres.Connections;
using Backstop.Testing;

namespace Backstop.Core.Tests.Audit;

/// <summary>A team's processes append to one PostgreSQL audit log at once, and it stays one chain.</summary>
[Trait("Area", "Audit")]
public sealed class PostgresAuditLogTests
{
    [Fact]
    public async Task AppendAsync_from_three_processes_300_entries_each_at_once_forms_one_gapless_verified_log()
    {
        var url = await TestState.CreateDatabaseAsync();
        var log = await AuditLogs.OpenAsync(StateLocation.Postgres(PgUrl.Parse(url)), null, CancellationToken.None);

        var written = await Task.WhenAll(AppendAsync(url, 300, "alpha"), AppendAsync(url, 300, "beta"), AppendAsync(url, 300, "gamma"));

        Assert.Equal(Enumerable.Range(1, 900).Select(i => (long)i), written.SelectMany(w => w).Order());
        Assert.All(written, w => Assert.Equal(w.Order(), w));
        Assert.Equal("900 entries, 0 checkpoints verified", (await AuditVerifier.VerifyAsync(log, null, CancellationToken.None)).ToString());
    }

    /// <summary>Runs the state writer (test/Backstop.StateWriter) in audit mode in a process of its own; the numbers it printed.</summary>
    private static async Task<List<long>> AppendAsync(string url, int count, string actor)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Backstop.StateWriter.dll"), "audit", url, count.ToString(CultureInfo.InvariantCulture), actor })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"the state writer {actor} ended with exit {process.ExitCode}: {await errors}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
    }
}
