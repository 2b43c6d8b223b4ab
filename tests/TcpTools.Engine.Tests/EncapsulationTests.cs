using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>
/// Tunnels and carrier encapsulations (issue 12): what tshark reads of tunnels.pcapng is TsharkReferenceTests' part;
/// here the frames the decoder must skip and why, the nesting limit, flows keyed by their tunnel, and mutated tunnel
/// frames that must never throw nor allocate.
/// </summary>
public class EncapsulationTests
{
    private static readonly byte[] Inner4Src = Bytes.V4("198.18.1.1"), Inner4Dst = Bytes.V4("198.18.1.2");
    private static readonly byte[] Outer4Src = Bytes.V4("198.18.0.1"), Outer4Dst = Bytes.V4("198.18.0.2");

    private static List<(LinkType Link, byte[] Data)> Frames(string file)
    {
        var frames = new List<(LinkType, byte[])>();
        using var reader = CaptureFileReader.Open(Path.Combine(TestData.Captures, file));
        while (reader.TryReadNext(out CapturedFrame meta, out ReadOnlySpan<byte> data))
        {
            frames.Add((meta.LinkType, data.ToArray()));
        }
        return frames;
    }

    [Fact]
    public void Frames_that_are_no_segment_are_skipped_each_by_its_cause_and_the_next_one_still_decodes()
    {
        // make-tunnels.py writes them in this order.
        var expected = new[]
        {
            DecodeStatus.UnknownEncapsulation, // GRE protocol type 0x1234
            DecodeStatus.NestingTooDeep,       // eleven IP-in-IP headers
            DecodeStatus.UnknownEncapsulation, // Geneve version 2
            DecodeStatus.Malformed,            // a GRE header longer than its IP packet
            DecodeStatus.Malformed,            // VXLAN without room for an Ethernet frame
            DecodeStatus.Malformed,            // a GTP-U extension header of length 0
            DecodeStatus.Tcp,                  // a good GRE one after them
        };
        var frames = Frames("tunnels-bad.pcap");
        Assert.Equal(expected, frames.Select(f => PacketDecoder.TryDecode(f.Link, f.Data, out _)).ToArray());

        using var reader = CaptureFileSegmentReader.Open(Path.Combine(TestData.Captures, "tunnels-bad.pcap"), null);
        var segments = new List<TcpSegment>();
        while (reader.TryReadNext(out TcpSegment? s))
        {
            segments.Add(s);
        }
        Assert.Equal(40999, Assert.Single(segments).SourcePort);
        Assert.Equal(2, reader.Statistics.UnknownEncapsulation);
        Assert.Equal(1, reader.Statistics.NestingTooDeep);
        Assert.Equal(3, reader.Statistics.Malformed);
        Assert.Equal(6, reader.Statistics.Skipped);
        Assert.Contains("2 inside an unknown encapsulation, 1 nested too deep", reader.Statistics.ToString(), StringComparison.Ordinal);
    }

    private static byte[] Nested(int depth)
    {
        byte[] packet = Bytes.IPv4(Inner4Src, Inner4Dst, 6, Bytes.Tcp(40000, 80, 1, 0, TcpFlags.Syn, 1000));
        for (int i = 0; i < depth; i++)
        {
            packet = Bytes.IPv4(Outer4Src, Outer4Dst, 4, packet);
        }
        return Bytes.Ethernet(0x0800, packet);
    }

    [Fact]
    public void Tunnels_nest_up_to_the_limit_and_no_deeper()
    {
        Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(LinkType.Ethernet, Nested(PacketDecoder.MaxNesting), out DecodedTcp tcp));
        Assert.Equal(PacketDecoder.MaxNesting, tcp.TunnelDepth);
        Assert.Equal(TunnelType.IPInIP, tcp.Tunnel);
        Assert.Equal(14 + 20 * PacketDecoder.MaxNesting, tcp.IPOffset);
        Assert.Equal(14, tcp.TunnelOffset);
        Assert.Equal(PacketDecoder.MaxNesting, PacketDecoder.Tunnels(Nested(PacketDecoder.MaxNesting), tcp).Count);
        Assert.Equal(DecodeStatus.NestingTooDeep, PacketDecoder.TryDecode(LinkType.Ethernet, Nested(PacketDecoder.MaxNesting + 1), out _));
    }

    [Fact]
    public void An_inner_packet_is_bounded_by_its_outer_one()
    {
        // The inner IPv4 header claims 400 bytes; the outer packet carries its 40: the segment has no payload, as
        // tshark reads it, instead of running into what follows the outer packet (link padding here).
        byte[] inner = Bytes.IPv4(Inner4Src, Inner4Dst, 6, Bytes.Tcp(40000, 80, 1, 0, TcpFlags.Ack, 1000));
        inner[2] = 0x01;
        inner[3] = 0x90;
        byte[] frame = Bytes.Concat(Bytes.Ethernet(0x0800, Bytes.IPv4(Outer4Src, Outer4Dst, 4, inner)), new byte[100]);
        Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out DecodedTcp tcp));
        Assert.Equal(40, tcp.IPLength);
        Assert.Equal(0, tcp.PayloadLength);
    }

    [Fact]
    public void A_plain_segment_has_no_tunnel_and_its_layers_are_named_as_tshark_names_them()
    {
        byte[] frame = Bytes.Ethernet(0x0800, Bytes.IPv4(Inner4Src, Inner4Dst, 6, Bytes.Tcp(40000, 80, 1, 0, TcpFlags.Syn, 1000)), 7);
        Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out DecodedTcp tcp));
        Assert.Equal((byte)0, tcp.TunnelDepth);
        Assert.Equal(0u, tcp.TunnelKey);
        Assert.Empty(PacketDecoder.Tunnels(frame, tcp));
        Assert.Equal("eth:vlan:ip:tcp", PacketDecoder.LayerText(LinkType.Ethernet, frame, frame.Length));
    }

    [Fact]
    public void The_same_inner_connection_in_two_tunnels_is_two_flows_each_with_its_tunnel()
    {
        var tracker = new TcpTracker(new TcpTrackerOptions());
        using (var reader = CaptureFileSegmentReader.Open(Path.Combine(TestData.Captures, "tunnels.pcapng"), null))
        {
            while (reader.TryReadNext(out CapturedFrame meta, out ReadOnlySpan<byte> data, out DecodedTcp tcp))
            {
                tracker.Process(meta.UnixTimeNanoseconds, tcp, data);
            }
        }
        tracker.Complete();
        var flows = new List<TcpConnectionState>();
        while (tracker.Output.Count > 0)
        {
            flows.Add(tracker.Output.Dequeue());
        }
        // 34 handshakes; each of its own (the two VXLAN ones share a 4-tuple), all established by their third segment.
        Assert.Equal(34, flows.Count);
        Assert.All(flows, f => Assert.Equal(TcpState.Established, f.State));
        Assert.All(flows, f => Assert.Equal((2u, 1u), (f.ClientPackets, f.ServerPackets)));
        var vxlan = flows.Where(f => f.ClientPort == 40100).ToList();
        Assert.Equal(2, vxlan.Count);
        Assert.Equal(new long?[] { 42, 43 }, vxlan.Select(f => Assert.Single(f.Tunnels).Id).ToArray());
        Assert.Equal(new[] { "Vxlan 198.18.0.1:51000 > 198.18.0.2:4789 VNI 42", "Vxlan 198.18.0.1:51000 > 198.18.0.2:4789 VNI 43" }, vxlan.Select(f => f.Tunnels[0].ToString()).ToArray());

        // Outermost first, as the client's SYN came.
        var nested = flows.Single(f => f.ClientPort == 40023);
        Assert.Equal(new[] { TunnelType.Vxlan, TunnelType.Gre }, nested.Tunnels.Select(t => t.Type).ToArray());
        // Carrier framing (PPPoE, 802.1ah, VN-Tag, FabricPath, LLC, the other link types) is no tunnel.
        Assert.Empty(flows.Single(f => f.ClientPort == 40024).Tunnels);
        Assert.Equal(TunnelType.GtpU, flows.Single(f => f.ClientPort == 40014).Tunnels.Single().Type);
    }

    [Fact]
    public void Both_directions_of_a_tunnel_have_one_identity_which_another_tunnel_does_not_share()
    {
        var frames = Frames("tunnels.pcapng");
        uint Key(int i)
        {
            Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(frames[i].Link, frames[i].Data, out DecodedTcp tcp));
            return tcp.TunnelKey;
        }
        // Frames 40-42: GTP-U with a TEID of its own each way (0x1000 up, 0x2000 down): one identity.
        Assert.Equal(Key(39), Key(40));
        Assert.Equal(Key(39), Key(41));
        // Frames 22 and 25: the same 4-tuple in VNI 42 and VNI 43.
        Assert.NotEqual(Key(21), Key(24));
        Assert.Equal(Key(21), Key(22));
        Assert.NotEqual(0u, Key(21) & 0x80_0000);
    }

    [Fact]
    public void Mutated_tunnel_frames_never_throw_and_decoding_them_allocates_nothing()
    {
        var frames = Frames("tunnels.pcapng").Concat(Frames("tunnels-bad.pcap")).ToList();
        var random = new Random(12);
        var statuses = new Dictionary<DecodeStatus, int>();
        var mutated = new List<(LinkType, byte[])>();
        for (int n = 0; n < 20_000; n++)
        {
            var (link, original) = frames[random.Next(frames.Count)];
            byte[] data = (byte[])original.Clone();
            switch (random.Next(3))
            {
                case 0: // flip a few bits, mostly in the headers
                    for (int k = random.Next(1, 4); k > 0; k--)
                    {
                        int at = random.Next(Math.Min(data.Length, 120));
                        data[at] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                case 1: // cut short
                    data = data[..random.Next(data.Length)];
                    break;
                default: // a random length or type byte
                    data[random.Next(Math.Min(data.Length, 120))] = (byte)random.Next(256);
                    break;
            }
            mutated.Add((link, data));
        }
        foreach (var (link, data) in mutated)
        {
            DecodeStatus status = PacketDecoder.TryDecode(link, data, out DecodedTcp tcp);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status == DecodeStatus.Tcp)
            {
                _ = PacketDecoder.Tunnels(data, tcp);
                _ = PacketDecoder.LayerText(link, data, data.Length);
                _ = InternetChecksum.VerifyTcp(data, tcp);
            }
        }
        // Once every path has run (its first run may allocate as the runtime loads and compiles it), decoding them
        // again allocates nothing. A pass may still see a few kilobytes of the runtime's own while tiered compilation
        // moves a method on (4,016 bytes once in a run of five, 5,536 once in CI); a per-packet allocation would show
        // in every pass, 20,000 frames' worth, so the quietest of five passes must be zero.
        var passes = new List<long>();
        for (int pass = 0; pass < 5; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var (link, data) in mutated)
            {
                PacketDecoder.TryDecode(link, data, out _);
            }
            passes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(passes.Min() == 0, $"bytes allocated by each pass: {string.Join(", ", passes)}");
        // The mutations reach both outcomes: still TCP, and skipped for a cause.
        Assert.True(statuses.GetValueOrDefault(DecodeStatus.Tcp) > 1000);
        Assert.True(statuses.Count >= 5, string.Join(", ", statuses));
    }
}
