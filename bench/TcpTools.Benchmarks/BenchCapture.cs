using System;
using System.IO;

namespace TcpTools.Benchmarks;

/// <summary>The capture the benchmarks read: TCPTOOLS_BENCH_PCAP, else bench/data/bench.pcap (made by bench/make-capture.sh).</summary>
internal static class BenchCapture
{
    public static string Path
    {
        get
        {
            string? fromEnv = Environment.GetEnvironmentVariable("TCPTOOLS_BENCH_PCAP");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                return System.IO.Path.GetFullPath(fromEnv);
            }
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = System.IO.Path.Combine(dir.FullName, "bench", "data", "bench.pcap");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new FileNotFoundException("No benchmark capture: run 'sudo bench/make-capture.sh' or set TCPTOOLS_BENCH_PCAP.");
        }
    }
}
