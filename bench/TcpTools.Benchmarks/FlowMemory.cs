using System;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Benchmarks;

/// <summary>
/// Managed memory per tracked flow with one million flows held (a SYN flood from a million sources): the
/// difference of GC.GetTotalMemory before and after, divided by the flows. Run: dotnet run -c Release -- flowmemory.
/// The engine tests compile this file too, so the CI check and bench/RESULTS.md come from the same measurement.
/// </summary>
internal static class FlowMemory
{
    /// <summary>What one measurement found.</summary>
    public sealed record Result(int FlowsHeld, long ManagedBytes, double PerFlow, double FootprintPerFlow, long Evicted);

    public static void Run(int count)
    {
        var r = Measure(count);
        Console.WriteLine($"| flows held | managed bytes (GC.GetTotalMemory delta) | per flow | flow table footprint per flow | evicted |");
        Console.WriteLine($"|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {r.FlowsHeld:N0} | {r.ManagedBytes:N0} | {r.PerFlow:F1} B | {r.FootprintPerFlow:F1} B | {r.Evicted} |");
    }

    /// <summary>Tracks <paramref name="count"/> SYNs, each from a new source address and port, and measures the heap.</summary>
    public static Result Measure(int count)
    {
        var tracker = new TcpTracker(new TcpTrackerOptions { MaxFlows = count });
        byte[] frame = SynFrame();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long now = 1_700_000_000_000_000_000;
        for (int i = 0; i < count; i++)
        {
            frame[14 + 12 + 1] = (byte)(18 + (i >> 24 & 1));
            frame[14 + 12 + 2] = (byte)(i >> 16);
            frame[14 + 12 + 3] = (byte)(i >> 8);
            frame[14 + 20] = (byte)(4 + (i & 0xff));
            if (PacketDecoder.TryDecode(LinkType.Ethernet, frame, out DecodedTcp tcp) != DecodeStatus.Tcp)
            {
                throw new InvalidOperationException("the SYN frame did not decode");
            }
            tracker.Process(now++, tcp, frame);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        var result = new Result(tracker.FlowCount, after - before, (after - before) / (double)count, tracker.FootprintBytes / (double)count, tracker.Statistics.FlowsEvicted);
        GC.KeepAlive(tracker);
        return result;
    }

    /// <summary>Ethernet + IPv4 198.18.0.1 > 198.19.0.1 + TCP SYN 1024 > 80, no options.</summary>
    private static byte[] SynFrame()
    {
        byte[] f = new byte[14 + 20 + 20];
        f[12] = 0x08;
        f[14] = 0x45;
        f[14 + 3] = 40;
        f[14 + 8] = 64;
        f[14 + 9] = 6;
        new byte[] { 198, 18, 0, 1, 198, 19, 0, 1 }.CopyTo(f, 14 + 12);
        f[34] = 4; // source port 1024
        f[37] = 80;
        f[34 + 7] = 0xe8; // seq 1000
        f[34 + 6] = 0x03;
        f[34 + 12] = 5 << 4;
        f[34 + 13] = 0x02; // SYN
        f[34 + 14] = 0xfa;
        f[34 + 15] = 0xf0;
        return f;
    }
}
