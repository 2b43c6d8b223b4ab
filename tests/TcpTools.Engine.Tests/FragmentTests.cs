using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>
/// IP fragment reassembly (issue 12): what tshark reads of fragments.pcap is TsharkReferenceTests' part; here the
/// rules (Linux's: overlaps discard the datagram, duplicates keep the first copy, time-outs in capture time, bounded
/// memory), the counts by cause, flows over reassembled segments, and mutated fragments that must never throw.
/// </summary>
public class FragmentTests
{
    private static readonly byte[] Src = Bytes.V4("198.18.0.1"), Dst = Bytes.V4("198.18.0.2");
    private const long Second = 1_000_000_000;

    /// <summary>A TCP segment of <paramref name="payload"/> bytes cut into IPv4 fragments at <paramref name="cuts"/> (offsets into the IP payload, multiples of 8).</summary>
    private static byte[][] Fragments(ushort id, byte[] payload, params int[] cuts)
    {
        byte[] whole = Bytes.IPv4(Src, Dst, 6, Bytes.Tcp(40000, 80, 1, 1, TcpFlags.Ack | TcpFlags.Psh, 500, payload: payload));
        byte[] data = whole[20..];
        var bounds = cuts.Prepend(0).Append(data.Length).ToArray();
        var frames = new byte[bounds.Length - 1][];
        for (int i = 0; i < frames.Length; i++)
        {
            bool more = i < frames.Length - 1;
            frames[i] = Fragment(id, bounds[i], more, data[bounds[i]..bounds[i + 1]]);
        }
        return frames;
    }

    private static byte[] Fragment(ushort id, int offset, bool more, byte[] bytes, byte protocol = 6)
    {
        byte[] ip = Bytes.IPv4(Src, Dst, 17, bytes, fragment: (ushort)((more ? 0x2000 : 0) | offset / 8));
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), id);
        ip[10] = ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), (ushort)~InternetChecksum.Fold(Bytes.SumBigEndian(ip.AsSpan(0, 20))));
        return Bytes.Ethernet(0x0800, ip);
    }

    private static CaptureFileSegmentReader Reader(IEnumerable<(long Ns, byte[] Frame)> frames) =>
        CaptureFileSegmentReader.Create(CaptureFileReader.Open(new MemoryStream(Bytes.Pcap(LinkType.Ethernet, frames, nano: true)), "test.pcap", ownsStream: true), null);

    private static List<TcpSegment> ReadAll(CaptureFileSegmentReader reader)
    {
        var list = new List<TcpSegment>();
        while (reader.TryReadNext(out TcpSegment? s))
        {
            list.Add(s);
        }
        return list;
    }

    private static byte[] Pattern(int n, int seed) => Enumerable.Range(0, n).Select(i => (byte)(seed + i * 7)).ToArray();

    private static void AssertAccounted(SegmentReadStatistics s) =>
        Assert.Equal(s.Fragments, s.ReassembledFragments + s.FragmentsIncomplete + s.FragmentsOverlapping + s.FragmentsDuplicate + s.FragmentsInvalid);

    [Fact]
    public void Fragments_in_any_order_make_the_segment_with_its_whole_payload_and_a_good_checksum()
    {
        byte[] payload = Pattern(3000, 1);
        var f = Fragments(7, payload, 1480, 2960);
        using var reader = Reader(new[] { (1 * Second, f[2]), (2 * Second, f[0]), (3 * Second, f[1]) });
        var s = Assert.Single(ReadAll(reader));
        Assert.Equal(3, s.FrameNumber); // where it completed, as tshark shows it
        Assert.Equal(3 * Second, s.UnixTimeNanoseconds);
        Assert.Equal(new long[] { 2, 3, 1 }, s.FragmentFrames); // in offset order
        Assert.True(s.IsReassembled);
        Assert.Equal(3000, s.PayloadLength);
        Assert.Equal(payload, s.GetPayload());
        Assert.Equal(TcpChecksumStatus.Good, s.ChecksumStatus);
        Assert.Equal("eth:ip:tcp", s.Layers);
        Assert.Equal(14 + 20 + 20 + 3000, s.FrameLength);
        // The reassembled header: fragment fields cleared, total length and checksum made again.
        byte[] frame = s.GetFrame();
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + 6)));
        Assert.Equal(3040, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + 2)));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(Bytes.SumBigEndian(frame.AsSpan(14, 20))));
        Assert.Equal((1L, 3L, 0L), (reader.Statistics.ReassembledDatagrams, reader.Statistics.ReassembledFragments, reader.Statistics.Skipped));
        AssertAccounted(reader.Statistics);
    }

    [Fact]
    public void A_whole_segment_is_not_reassembled()
    {
        byte[] frame = Bytes.Ethernet(0x0800, Bytes.IPv4(Src, Dst, 6, Bytes.Tcp(40000, 80, 1, 0, TcpFlags.Syn, 1000)));
        using var reader = Reader(new[] { (0L, frame) });
        var s = Assert.Single(ReadAll(reader));
        Assert.False(s.IsReassembled);
        Assert.Empty(s.FragmentFrames);
        Assert.Equal(0, reader.Statistics.Fragments);
    }

    [Fact]
    public void Overlapping_fragments_discard_the_datagram_and_its_later_fragments_with_it()
    {
        var f = Fragments(9, Pattern(2000, 2), 1480);
        // Bytes 1472..1480 again, other bytes: an overlap (RFC 5722), as Linux discards it, IPv4 too.
        byte[] overlap = Fragment(9, 1472, true, Enumerable.Repeat((byte)0xAA, 16).ToArray());
        using var reader = Reader(new[] { (0L, f[0]), (1L, overlap), (2L, f[1]) });
        Assert.Empty(ReadAll(reader));
        Assert.Equal(3, reader.Statistics.FragmentsOverlapping);
        Assert.Equal(3, reader.Statistics.Skipped);
        AssertAccounted(reader.Statistics);
    }

    [Fact]
    public void An_exact_duplicate_is_ignored_and_the_first_copy_kept_whatever_it_holds()
    {
        byte[] payload = Pattern(2000, 3);
        var f = Fragments(11, payload, 1480);
        byte[] other = (byte[])f[1].Clone();
        other[^1] ^= 0xFF; // the same offset and length, another last byte
        using var reader = Reader(new[] { (0L, f[1]), (1L, other), (2L, f[0]) });
        var s = Assert.Single(ReadAll(reader));
        Assert.Equal(payload, s.GetPayload());
        Assert.Equal(1, reader.Statistics.FragmentsDuplicate);
        Assert.Equal(new long[] { 3, 1 }, s.FragmentFrames);
        AssertAccounted(reader.Statistics);
    }

    [Fact]
    public void A_datagram_not_completed_in_30_seconds_of_capture_time_is_given_up()
    {
        var f = Fragments(13, Pattern(2000, 4), 1480);
        var g = Fragments(14, Pattern(2000, 5), 1480);
        // f: 31 s between its fragments (Linux's ipfrag_time is 30 s); g: 29 s, still in time.
        using var reader = Reader(new[] { (0L, f[0]), (1 * Second, g[0]), (30 * Second, g[1]), (31 * Second, f[1]) });
        var s = Assert.Single(ReadAll(reader));
        Assert.Equal(new long[] { 2, 3 }, s.FragmentFrames);
        Assert.Equal(2, reader.Statistics.FragmentsIncomplete); // f's first, timed out; f's last, alone at the end
        AssertAccounted(reader.Statistics);
    }

    [Fact]
    public void The_bad_capture_counts_each_cause_and_still_reassembles_the_good_ones()
    {
        using var reader = CaptureFileSegmentReader.Open(Path.Combine(TestData.Captures, "fragments-bad.pcap"), null);
        var segments = ReadAll(reader);
        var s = reader.Statistics;
        // make-fragments.py: the duplicate's datagram (id 3) and the last one (id 8) complete.
        Assert.Equal(new ushort[] { 41003, 41008 }, segments.Select(x => x.SourcePort).ToArray());
        Assert.Equal(2 + 1 + 1 + 1, s.FragmentsIncomplete); // a missing middle (2), beyond 65,535's first, id 7 timed out and alone at the end
        Assert.Equal(3, s.FragmentsOverlapping);
        Assert.Equal(1, s.FragmentsDuplicate);
        Assert.Equal(3, s.FragmentsInvalid); // beyond 65,535 bytes, empty, IPv6 not a multiple of 8
        Assert.Equal(2, s.ReassembledDatagrams);
        AssertAccounted(s);
        Assert.Contains("3 overlapping, 1 duplicate, 3 invalid", s.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_fragments_of_one_segment_make_one_flow_segment_with_its_bytes()
    {
        var tracker = new TcpTracker(new TcpTrackerOptions());
        using (var reader = CaptureFileSegmentReader.Open(Path.Combine(TestData.Captures, "fragments.pcap"), null))
        {
            while (reader.TryReadNext(out CapturedFrame meta, out ReadOnlySpan<byte> data, out DecodedTcp tcp))
            {
                tracker.Process(meta.UnixTimeNanoseconds, tcp, data);
            }
            Assert.Equal(0, reader.Statistics.Skipped);
        }
        tracker.Complete();
        var flows = new List<TcpConnectionState>();
        while (tracker.Output.Count > 0)
        {
            flows.Add(tracker.Output.Dequeue());
        }
        var plain = flows.Single(f => f.ClientPort == 40001);
        Assert.Equal(TcpState.TimeWait, plain.ClientState);
        Assert.Equal((3000UL, 2000UL), (plain.ClientBytes, plain.ServerBytes));
        Assert.Empty(plain.AnomalyCounts);
        Assert.Equal(2500UL, flows.Single(f => f.ClientPort == 40003).ClientBytes);
        // Carried in VXLAN whose outer packets were fragmented, and whose inner packet was.
        var outer = flows.Single(f => f.ClientPort == 40004);
        Assert.Equal((1400UL, TunnelType.Vxlan), (outer.ClientBytes, Assert.Single(outer.Tunnels).Type));
        var inner = flows.Single(f => f.ClientPort == 40005);
        Assert.Equal((2000UL, (long?)43), (inner.ClientBytes, Assert.Single(inner.Tunnels).Id));
        Assert.Equal(TcpState.Established, inner.ClientState);
    }

    [Fact]
    public void Memory_stays_bounded_under_a_flood_of_fragments_that_never_complete()
    {
        var stats = new SegmentReadStatistics();
        using var reassembler = new FragmentReassembler(stats);
        long most = 0;
        byte[] chunk = Pattern(1480, 6);
        for (int i = 0; i < 20_000; i++)
        {
            // First fragments only, every one a datagram of its own: each waits for bytes that never come.
            byte[] frame = Fragment((ushort)i, 0, true, chunk);
            var meta = new CapturedFrame(i + 1, i * 1000L, LinkType.Ethernet, frame.Length, frame.Length, 0);
            ReadOnlySpan<byte> data = frame;
            Assert.Equal(DecodeStatus.Fragment, PacketDecoder.TryDecode(LinkType.Ethernet, data, out DecodedTcp tcp));
            Assert.Equal(DecodeStatus.Fragment, reassembler.Add(ref meta, ref data, ref tcp));
            most = Math.Max(most, reassembler.HeldBytes);
        }
        Assert.True(most <= FragmentReassembler.MaxHeldBytes, $"{most} bytes held");
        Assert.InRange(reassembler.HeldDatagrams, 100, 20_000 - 1);
        Assert.Equal(20_000, stats.FragmentsIncomplete);
        reassembler.Clear();
        Assert.Equal(0, reassembler.HeldBytes);
        Assert.Equal(20_000, stats.FragmentsIncomplete);
        Assert.Equal(0, stats.FragmentsPending);
    }

    private static List<(CapturedFrame Meta, byte[] Data)> Frames(string file)
    {
        var frames = new List<(CapturedFrame, byte[])>();
        using var reader = CaptureFileReader.Open(Path.Combine(TestData.Captures, file));
        while (reader.TryReadNext(out CapturedFrame meta, out ReadOnlySpan<byte> data))
        {
            frames.Add((meta, data.ToArray()));
        }
        return frames;
    }

    [Fact]
    public void Reassembly_allocates_nothing_once_its_buffers_reached_their_working_size()
    {
        var frames = Frames("fragments.pcap");
        var stats = new SegmentReadStatistics();
        using var reassembler = new FragmentReassembler(stats);
        void Pass()
        {
            foreach (var (m, bytes) in frames)
            {
                var meta = m;
                ReadOnlySpan<byte> data = bytes;
                if (PacketDecoder.TryDecode(meta.LinkType, data, meta.OriginalLength, out DecodedTcp tcp) == DecodeStatus.Fragment)
                {
                    reassembler.Add(ref meta, ref data, ref tcp);
                }
            }
        }
        Pass();
        long done = stats.ReassembledDatagrams;
        // The quietest of five passes must allocate nothing: a pass may see a few kilobytes of the runtime's own
        // while tiered compilation moves a method on (EncapsulationTests says more); a per-datagram allocation shows
        // in every pass.
        var passes = new List<long>();
        for (int pass = 0; pass < 5; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Pass();
            passes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(passes.Min() == 0, $"bytes allocated by each pass: {string.Join(", ", passes)}");
        Assert.Equal(6 * done, stats.ReassembledDatagrams);
    }

    [Fact]
    public void Mutated_fragments_never_throw_and_every_fragment_is_accounted_for()
    {
        var frames = Frames("fragments.pcap").Concat(Frames("fragments-bad.pcap")).ToList();
        var random = new Random(12);
        var stats = new SegmentReadStatistics();
        using var reassembler = new FragmentReassembler(stats);
        var outcomes = new Dictionary<DecodeStatus, int>();
        long time = 0;
        for (int n = 0; n < 20_000; n++)
        {
            var (m, original) = frames[random.Next(frames.Count)];
            byte[] bytes = (byte[])original.Clone();
            switch (random.Next(4))
            {
                case 0: // flip bits in the headers: fragment offsets and flags, lengths, ids
                    for (int k = random.Next(1, 4); k > 0; k--)
                    {
                        int at = random.Next(Math.Min(bytes.Length, 100));
                        bytes[at] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                case 1: // cut short
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                case 2: // a random byte in the IP header (offset, identification, flags)
                    bytes[14 + random.Next(Math.Min(bytes.Length - 14, 28))] = (byte)random.Next(256);
                    break;
                default: // unchanged, so datagrams complete among the damaged ones
                    break;
            }
            time += random.Next(3) == 0 ? 5 * Second : 1000;
            var meta = new CapturedFrame(n + 1, time, m.LinkType, bytes.Length, Math.Max(bytes.Length, m.OriginalLength), 0);
            ReadOnlySpan<byte> data = bytes;
            var status = PacketDecoder.TryDecode(meta.LinkType, data, meta.OriginalLength, out DecodedTcp tcp);
            if (status == DecodeStatus.Fragment)
            {
                status = reassembler.Add(ref meta, ref data, ref tcp);
                if (status == DecodeStatus.Tcp)
                {
                    Assert.True(data.Length >= tcp.TcpOffset + 20);
                    _ = InternetChecksum.VerifyTcp(data, tcp);
                    _ = PacketDecoder.Tunnels(data, tcp);
                    _ = PacketDecoder.LayerText(meta.LinkType, data, meta.OriginalLength);
                }
                outcomes[status] = outcomes.GetValueOrDefault(status) + 1;
            }
            Assert.True(reassembler.HeldBytes <= FragmentReassembler.MaxHeldBytes);
        }
        reassembler.Clear();
        AssertAccounted(stats);
        Assert.True(stats.ReassembledDatagrams > 100, stats.ToString());
        Assert.True(stats.FragmentsInvalid + stats.FragmentsOverlapping > 100, stats.ToString());
        Assert.True(outcomes.Count >= 2, string.Join(", ", outcomes));
    }
}
