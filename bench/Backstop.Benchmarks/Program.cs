using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Backstop.Benchmarks -- --filter '*'   (see docs/benchmarks.md)
BenchmarkSwitcher.FromAssembly(typeof(Backstop.Benchmarks.SqlBenchmarks).Assembly).Run(args);
