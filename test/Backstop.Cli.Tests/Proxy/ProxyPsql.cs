using System.Diagnostics;

namespace Backstop.Cli.Tests.Proxy;

/// <summary>psql (libpq 15) through the proxy: one run of psql with a script on its command line.</summary>
internal static class ProxyPsql
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"psql exited {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }

    /// <param name="sql">given with -c (one simple-query message) unless <paramref name="file"/>, then on standard input statement by statement.</param>
    public static async Task<Result> RunAsync(int port, string user, string password, string sql, string database = "prod", string sslMode = "disable", bool file = false, bool stopOnError = true)
    {
        var start = new ProcessStartInfo("psql")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = file,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-X", "-A", "-t", "-v", $"ON_ERROR_STOP={(stopOnError ? 1 : 0)}", $"host=127.0.0.1 port={port} user={user} dbname={database} sslmode={sslMode} connect_timeout=10" })
        {
            start.ArgumentList.Add(argument);
        }

        if (!file)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(sql);
        }

        foreach (var name in new[] { "PGSERVICE", "PGSSLMODE", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["PGPASSWORD"] = password;
        using var process = Process.Start(start)!;
        if (file)
        {
            await process.StandardInput.WriteAsync(sql);
            process.StandardInput.Close();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
