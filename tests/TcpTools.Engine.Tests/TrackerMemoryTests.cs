using System;
using System.Collections.Generic;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>
/// The tracker's memory promises, measured: the per-segment path allocates nothing, and a tracked flow costs at
/// most 256 bytes of managed memory with a million flows held. (Allocation counts, not timings.) They run
/// alone: the heap-size measurement must not see other tests' objects.
/// </summary>
[Collection(nameof(TrackerMemoryTests))]
public class TrackerMemoryTests
{
    private const int Flows = 200;

    [Fact]
    public void Per_segment_path_allocates_nothing_once_flows_exist()
    {
        var tracker = new TcpTracker();
        var segments = new List<(byte[] Frame, DecodedTcp Tcp)>();
        // Warm-up: every flow's handshake and a first exchange, so flows exist and every method is compiled.
        var warmUp = new List<(byte[], DecodedTcp)>();
        for (int i = 0; i < Flows; i++)
        {
            ushort port = (ushort)(20000 + i);
            warmUp.Add(Frame(port, true, TcpFlags.Syn, 1000, 0, 0));
            warmUp.Add(Frame(port, false, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001, 0));
            warmUp.Add(Frame(port, true, TcpFlags.Ack, 1001, 5001, 0));
            warmUp.Add(Frame(port, true, TcpFlags.Psh | TcpFlags.Ack, 1001, 5001, 100));
            warmUp.Add(Frame(port, false, TcpFlags.Ack, 5001, 1101, 0));
        }
        // Measured: data both ways, a lost segment with duplicate ACKs, its retransmission, out-of-order
        // delivery, a zero window, then the four-way close into TIME_WAIT: every analysis branch of the hot path.
        for (int i = 0; i < Flows; i++)
        {
            ushort port = (ushort)(20000 + i);
            segments.Add(Frame(port, false, TcpFlags.Psh | TcpFlags.Ack, 5001, 1101, 300));
            segments.Add(Frame(port, false, TcpFlags.Psh | TcpFlags.Ack, 5601, 1101, 300)); // 5301..5600 missing
            segments.Add(Frame(port, true, TcpFlags.Ack, 1101, 5301, 0));
            segments.Add(Frame(port, true, TcpFlags.Ack, 1101, 5301, 0)); // duplicate ACK
            segments.Add(Frame(port, false, TcpFlags.Psh | TcpFlags.Ack, 5301, 1101, 300)); // retransmission
            segments.Add(Frame(port, true, TcpFlags.Ack, 1101, 5901, 0, window: 0)); // zero window
            segments.Add(Frame(port, true, TcpFlags.Ack, 1101, 5901, 0));
            segments.Add(Frame(port, true, TcpFlags.Fin | TcpFlags.Ack, 1101, 5901, 0));
            segments.Add(Frame(port, false, TcpFlags.Ack, 5901, 1102, 0));
            segments.Add(Frame(port, false, TcpFlags.Fin | TcpFlags.Ack, 5901, 1102, 0));
            segments.Add(Frame(port, true, TcpFlags.Ack, 1102, 5902, 0));
        }
        long now = 1_700_000_000_000_000_000;
        foreach (var (frame, tcp) in warmUp)
        {
            tracker.Process(now += 1000, tcp, frame);
        }
        // A second tracker run over the same script compiles the measured branches before measuring.
        var rehearsal = new TcpTracker();
        long t = now;
        foreach (var (frame, tcp) in warmUp)
        {
            rehearsal.Process(t += 1000, tcp, frame);
        }
        foreach (var (frame, tcp) in segments)
        {
            rehearsal.Process(t += 1000, tcp, frame);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var (frame, tcp) in segments)
        {
            tracker.Process(now += 1000, tcp, frame);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Empty(tracker.Output); // nothing finished yet: the clients are in TIME_WAIT
        var flow = tracker.Current()[0];
        Assert.Equal((TcpState.TimeWait, TcpState.Closed), (flow.ClientState, flow.ServerState));
        Assert.Equal(1u, flow.ServerRetransmissions);
        Assert.True(flow.ClientDuplicateAcks >= 1u);
        Assert.Equal(1u, flow.ClientZeroWindows);
    }

    [Fact]
    public void Each_machine_has_its_part_of_the_endpoint_record_and_the_record_stays_240_bytes()
    {
        // One part per machine, laid out without padding (TcpEndpoint's comment gives the order they run in).
        Assert.Equal(26, System.Runtime.CompilerServices.Unsafe.SizeOf<ZeekEndpoint>());
        Assert.Equal(2, System.Runtime.CompilerServices.Unsafe.SizeOf<RfcEndpoint>());
        Assert.Equal(37, System.Runtime.CompilerServices.Unsafe.SizeOf<AnalysisEndpoint>());
        Assert.Equal(3, System.Runtime.CompilerServices.Unsafe.SizeOf<HandshakeEndpoint>());
        Assert.Equal(72, System.Runtime.CompilerServices.Unsafe.SizeOf<TcpEndpoint>());
        Assert.Equal(240, System.Runtime.CompilerServices.Unsafe.SizeOf<FlowRecord>());
        // The key holds the tunnel identity in the room the IP version's byte left (40 bytes, as before tunnels),
        // and the decoded segment every packet zeroes and copies stays 112 bytes with the tunnel fields.
        Assert.Equal(40, System.Runtime.CompilerServices.Unsafe.SizeOf<FlowKey>());
        Assert.Equal(112, System.Runtime.CompilerServices.Unsafe.SizeOf<TcpTools.Engine.Decoding.DecodedTcp>());
    }

    [Fact]
    public void A_million_flows_cost_at_most_256_bytes_each()
    {
        // A SYN flood: a new source address and port for every flow (the measurement bench/RESULTS.md reports).
        const int count = 1_000_000;
        var r = TcpTools.Benchmarks.FlowMemory.Measure(count);

        Assert.Equal(count, r.FlowsHeld);
        Assert.Equal(0, r.Evicted);
        Assert.True(r.PerFlow <= 256, $"{r.PerFlow:F1} managed bytes per flow (table footprint {r.FootprintPerFlow:F1})");
        Assert.True(r.FootprintPerFlow <= 256);
    }

    private static (byte[] Frame, DecodedTcp Tcp) Frame(ushort clientPort, bool fromClient, TcpFlags flags, uint seq, uint ack, int len, ushort window = 64000)
    {
        byte[] client = Bytes.V4("198.18.0.1"), server = Bytes.V4("198.18.0.2");
        byte[] tcp = Bytes.Tcp(fromClient ? clientPort : (ushort)80, fromClient ? (ushort)80 : clientPort, seq, ack, flags, window, null, new byte[len]);
        byte[] frame = Bytes.Ethernet(0x0800, Bytes.IPv4(fromClient ? client : server, fromClient ? server : client, 6, tcp));
        Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out DecodedTcp decoded));
        return (frame, decoded);
    }
}

[CollectionDefinition(nameof(TrackerMemoryTests), DisableParallelization = true)]
public class TrackerMemoryCollection
{
}
