using System.Globalization;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/ZeroPath.Benchmarks -- --filter '*'   (see bench/README.md)
// dotnet run -c Release --project bench/ZeroPath.Benchmarks -- memory [tokens]   (memory per cached token and per active token grain)
// dotnet run -c Release --project bench/ZeroPath.Benchmarks -- org-scale <phase> --Name=value ...   (./bench.sh --org-scale)
if (args is ["org-scale", ..])
{
    return await ZeroPath.Benchmarks.OrgScale.RunAsync(args[1..]);
}

if (args is ["memory", ..])
{
    return await ZeroPath.Benchmarks.MemoryFootprint.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000);
}

BenchmarkSwitcher.FromAssembly(typeof(ZeroPath.Benchmarks.SecretCheckBenchmarks).Assembly).Run(args);
return 0;
