using System;
using BenchmarkDotNet.Attributes;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Benchmarks;

/// <summary>
/// Reading and decoding every TCP segment of the benchmark capture (the file in the page cache, as it is for
/// the peers). One operation is the whole file; bench/run.sh divides the segment count by the mean.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = BenchCapture.Path;
        Console.WriteLine($"// {_path}: {DecodeInPlace()} TCP segments");
    }

    /// <summary>The engine's hot path: frames decoded in place into a reused struct (what the tracker consumes).</summary>
    [Benchmark]
    public long DecodeInPlace()
    {
        long segments = 0;
        using var reader = CaptureFileSegmentReader.Open(_path, null);
        while (reader.TryReadNext(out _, out _, out DecodedTcp tcp))
        {
            segments += tcp.IPVersion > 0 ? 1 : 0;
        }
        return segments;
    }

    /// <summary>What Get-TcpSegment does per segment before PowerShell sees it: a TcpSegment object with its frame copied.</summary>
    [Benchmark]
    public long DecodeToObjects()
    {
        long sum = 0;
        using var reader = CaptureFileSegmentReader.Open(_path, null);
        while (reader.TryReadNext(out TcpSegment? segment))
        {
            sum += segment.SequenceNumber;
        }
        return sum;
    }
}
