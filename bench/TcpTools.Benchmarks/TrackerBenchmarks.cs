using System;
using BenchmarkDotNet.Attributes;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Benchmarks;

/// <summary>
/// Tracking every connection of the benchmark capture: reader, in-place decode and the tracker, one operation
/// the whole file. What Get-TcpFlow -Path does before PowerShell sees the TcpConnectionState objects.
/// Allocated memory is the one file buffer, the flow table and one TcpConnectionState per connection: the
/// per-segment path allocates nothing (tests/TcpTools.Engine.Tests/TrackerMemoryTests.cs proves it exactly).
/// </summary>
[MemoryDiagnoser]
public class TrackerBenchmarks
{
    private string _path = "";

    [Params(TcpTimeoutPolicy.Conntrack, TcpTimeoutPolicy.Zeek)]
    public TcpTimeoutPolicy Policy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = BenchCapture.Path;
        Console.WriteLine($"// {_path}: {TrackFile()} connections ({Policy})");
    }

    [Benchmark]
    public long TrackFile()
    {
        var pump = new TcpFlowPump(new TcpTrackerOptions { TimeoutPolicy = Policy });
        long connections = 0;
        foreach (var _ in pump.Track(_path))
        {
            connections++;
        }
        return connections;
    }
}
