using System;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Benchmarks;

/// <summary>
/// Managed memory per tracked flow with one million flows held (a SYN flood from a million sources): the
/// difference of GC.GetTotalMemory before and after, divided by the flows. Run: dotnet run -c Release -- flowmemory
/// </summary>
internal static class FlowMemory
{
    public static void Run(int count)
    {
        var tracker = new TcpTracker(new TcpTrackerOptions { MaxFlows = count });
        byte[] frame = SynFrame();
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
        Console.WriteLine($"| flows held | managed bytes (GC.GetTotalMemory delta) | per flow | flow table footprint per flow | evicted |");
        Console.WriteLine($"|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {tracker.FlowCount:N0} | {after - before:N0} | {(after - before) / (double)count:F1} B | {tracker.FootprintBytes / (double)count:F1} B | {tracker.Statistics.FlowsEvicted} |");
        GC.KeepAlive(tracker);
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
