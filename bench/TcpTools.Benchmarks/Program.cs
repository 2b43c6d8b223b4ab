using BenchmarkDotNet.Running;

namespace TcpTools.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "flowmemory")
        {
            FlowMemory.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
            return;
        }
        if (args.Length > 0 && args[0] == "cold")
        {
            // First (cold: JIT) and later (warm) runs of the tracker over the capture, in one process.
            var b = new TrackerBenchmarks();
            int runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
            for (int i = 0; i < runs; i++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                b.Setup();
                System.Console.WriteLine($"run {i + 1}: {sw.Elapsed.TotalMilliseconds:F0} ms");
            }
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
