using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Backstop.Benchmarks -- --filter '*'   (see docs/benchmarks.md)
// dotnet run -c Release --project bench/Backstop.Benchmarks -- paired [ROUNDS] [setting=value ...]
// dotnet run -c Release --project bench/Backstop.Benchmarks -- audit [ENTRIES] [ROUNDS]
if (args is ["audit", ..])
{
    var entries = args.Length > 1 && int.TryParse(args[1], out var e) ? e : 100_000;
    var auditRounds = args.Length > 2 && int.TryParse(args[2], out var r) ? r : 7;
    Backstop.Benchmarks.AuditVerifyRounds.Run(entries, auditRounds);
    return;
}

// dotnet run -c Release --project bench/Backstop.Benchmarks -- remote [ROUNDS]
if (args is ["remote", ..])
{
    Backstop.Benchmarks.RemoteRounds.Run(args.Length > 1 && int.TryParse(args[1], out var remoteRounds) ? remoteRounds : 30);
    return;
}

// BACKSTOP_BENCH_DIRECT=... BACKSTOP_BENCH_PROXY=... dotnet run -c Release --project bench/Backstop.Benchmarks -- proxy-update [COUNT] [WARMUP]
// (bench/proxy/run.sh sets it up and runs it)
if (args is ["guard-direct", ..])
{
    Backstop.Benchmarks.GuardDirectRounds.Run(args.Length > 1 && int.TryParse(args[1], out var guarded) ? guarded : 500);
    return;
}

if (args is ["proxy-update", ..])
{
    Backstop.Benchmarks.ProxyUpdateRounds.Run(
        args.Length > 1 && int.TryParse(args[1], out var updates) ? updates : 1000,
        args.Length > 2 && int.TryParse(args[2], out var warmUp) ? warmUp : 50);
    return;
}


if (args is ["paired", ..])
{
    var rounds = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 10;
    var settings = args.Skip(2).Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    Backstop.Benchmarks.PairedRounds.Run(rounds, settings);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Backstop.Benchmarks.SqlBenchmarks).Assembly).Run(args);
