using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Benchmarks;

/// <summary>
/// The decoder alone, per frame, on frames already in memory (no file reading): the first 200,000 frames of the
/// benchmark capture (plain Ethernet / IPv4 / TCP) against those of TCPTOOLS_BENCH_VXLAN (default
/// bench/data/vxlan.pcap: the same kind of traffic through the kernel's vxlan device, Ethernet / IPv4 / UDP /
/// VXLAN / Ethernet / IPv4 / TCP). Issue 12: the tunnel's cost per segment, and the plain path's before and after.
/// </summary>
[MemoryDiagnoser]
public class FrameDecodeBenchmarks
{
    private const int MaxFrames = 200_000;
    private (LinkType Link, byte[] Data)[] _frames = Array.Empty<(LinkType, byte[])>();

    [Params("plain", "vxlan")]
    public string Capture { get; set; } = "plain";

    [GlobalSetup]
    public void Setup()
    {
        string path = Capture == "plain" ? BenchCapture.Path
            : Environment.GetEnvironmentVariable("TCPTOOLS_BENCH_VXLAN") is { Length: > 0 } v ? v
            : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(BenchCapture.Path)!, "vxlan.pcap");
        var frames = new List<(LinkType, byte[])>();
        using var reader = CaptureFileReader.Open(path);
        while (frames.Count < MaxFrames && reader.TryReadNext(out CapturedFrame meta, out ReadOnlySpan<byte> data))
        {
            frames.Add((meta.LinkType, data.ToArray()));
        }
        _frames = frames.ToArray();
        Console.WriteLine($"// {path}: {_frames.Length} frames, {Decode()} TCP segments");
    }

    [Benchmark(OperationsPerInvoke = MaxFrames)]
    public long Decode()
    {
        long segments = 0;
        foreach (var (link, data) in _frames)
        {
            if (PacketDecoder.TryDecode(link, data, out DecodedTcp tcp) == DecodeStatus.Tcp)
            {
                segments += tcp.PayloadLength + 1;
            }
        }
        return segments;
    }
}
