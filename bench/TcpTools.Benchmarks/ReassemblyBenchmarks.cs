using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Benchmarks;

/// <summary>
/// Decoding with IP fragment reassembly, per frame, on frames already in memory: the first 200,000 frames of
/// TCPTOOLS_BENCH_FRAGMENTS (default bench/data/vxlan-frag.pcap: VXLAN traffic whose device MTU of 1500 makes the
/// kernel fragment every full-sized outer packet; bench/make-capture.sh with VXLAN_MTU=1500), against the same
/// decoding of bench/data/vxlan.pcap, whose outer packets are whole. Issue 12: what reassembly costs a frame.
/// </summary>
[MemoryDiagnoser]
public class ReassemblyBenchmarks
{
    private const int MaxFrames = 200_000;
    private (CapturedFrame Meta, byte[] Data)[] _frames = Array.Empty<(CapturedFrame, byte[])>();
    private SegmentReadStatistics _stats = new();
    private FragmentReassembler _reassembler = null!;

    [Params("vxlan", "vxlan-frag")]
    public string Capture { get; set; } = "vxlan-frag";

    [GlobalSetup]
    public void Setup()
    {
        string dir = System.IO.Path.GetDirectoryName(BenchCapture.Path)!;
        string path = Capture == "vxlan-frag" && Environment.GetEnvironmentVariable("TCPTOOLS_BENCH_FRAGMENTS") is { Length: > 0 } f ? f
            : System.IO.Path.Combine(dir, Capture + ".pcap");
        var frames = new List<(CapturedFrame, byte[])>();
        using var reader = CaptureFileReader.Open(path);
        while (frames.Count < MaxFrames && reader.TryReadNext(out CapturedFrame meta, out ReadOnlySpan<byte> data))
        {
            frames.Add((meta, data.ToArray()));
        }
        _frames = frames.ToArray();
        _reassembler = new FragmentReassembler(_stats);
        long segments = Decode();
        Console.WriteLine($"// {path}: {_frames.Length} frames, {segments} payload+1 sum; {_stats}");
    }

    [Benchmark(OperationsPerInvoke = MaxFrames)]
    public long Decode()
    {
        long segments = 0;
        _reassembler.Clear();
        foreach (var (m, bytes) in _frames)
        {
            var meta = m;
            ReadOnlySpan<byte> data = bytes;
            var status = PacketDecoder.TryDecode(meta.LinkType, data, meta.OriginalLength, out DecodedTcp tcp);
            if (status == DecodeStatus.Fragment)
            {
                status = _reassembler.Add(ref meta, ref data, ref tcp);
            }
            if (status == DecodeStatus.Tcp)
            {
                segments += tcp.PayloadLength + 1;
            }
        }
        return segments;
    }
}
