using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/ZeroPath.Benchmarks -- --filter '*'   (see bench/README.md)
BenchmarkSwitcher.FromAssembly(typeof(ZeroPath.Benchmarks.SecretCheckBenchmarks).Assembly).Run(args);
