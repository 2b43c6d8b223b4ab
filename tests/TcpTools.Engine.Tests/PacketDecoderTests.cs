using System;
using System.Buffers.Binary;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tests;

public class PacketDecoderTests
{
    private static readonly byte[] Src4 = Bytes.V4("198.18.0.1");
    private static readonly byte[] Dst4 = Bytes.V4("198.18.0.2");
    private static readonly byte[] Src6 = System.Net.IPAddress.Parse("fd00:198:18::1").GetAddressBytes();
    private static readonly byte[] Dst6 = System.Net.IPAddress.Parse("fd00:198:18::2").GetAddressBytes();

    // MSS 1460, SACK permitted, timestamps, NOP, window scale 7: Linux's SYN options (20 bytes).
    private static readonly byte[] SynOptions = { 2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };

    private static byte[] SynSegment(byte[]? payload = null) => Bytes.Tcp(45678, 80, 0xFFFFFFF0, 0, TcpFlags.Syn, 64240, SynOptions, payload);

    private static DecodedTcp DecodeOk(LinkType linkType, byte[] frame, int? wireLength = null)
    {
        Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(linkType, frame, wireLength ?? frame.Length, out var tcp));
        return tcp;
    }

    [Fact]
    public void Ethernet_IPv4_every_header_field()
    {
        var payload = new byte[] { 0x47, 0x45, 0x54 };
        var tcpBytes = Bytes.Tcp(45678, 80, 0xFFFFFFF0, 0x01020304, TcpFlags.Psh | TcpFlags.Ack, 502, null, payload);
        var frame = Bytes.Ethernet(0x0800, Bytes.IPv4(Src4, Dst4, 6, tcpBytes, ttl: 63));
        var tcp = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(4, tcp.IPVersion);
        Assert.Equal("198.18.0.1", tcp.SourceAddress.ToString());
        Assert.Equal("198.18.0.2", tcp.DestinationAddress.ToString());
        Assert.Equal(45678, tcp.SourcePort);
        Assert.Equal(80, tcp.DestinationPort);
        Assert.Equal(0xFFFFFFF0u, tcp.SequenceNumber);
        Assert.Equal(0x01020304u, tcp.AcknowledgmentNumber);
        Assert.Equal(TcpFlags.Psh | TcpFlags.Ack, tcp.Flags);
        Assert.Equal(502, tcp.Window);
        Assert.Equal(63, tcp.Ttl);
        Assert.Equal(-1, tcp.VlanId);
        Assert.Equal(14, tcp.IPOffset);
        Assert.Equal(34, tcp.TcpOffset);
        Assert.Equal(20, tcp.TcpHeaderLength);
        Assert.Equal(3, tcp.PayloadLength);
        Assert.Equal(3, tcp.CapturedPayloadLength);
        Assert.Equal(43, tcp.IPLength);
        Assert.Equal(TcpChecksumStatus.Good, InternetChecksum.VerifyTcp(frame, tcp));
    }

    [Fact]
    public void Ethernet_trailer_padding_is_not_payload()
    {
        var ack = Bytes.Tcp(1, 2, 3, 4, TcpFlags.Ack, 5);
        var frame = Bytes.Concat(Bytes.Ethernet(0x0800, Bytes.IPv4(Src4, Dst4, 6, ack)), new byte[6]); // padded to 60
        var tcp = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(0, tcp.PayloadLength);
        Assert.Equal(TcpChecksumStatus.Good, InternetChecksum.VerifyTcp(frame, tcp));
    }

    [Fact]
    public void Vlan_and_QinQ_tags_are_skipped_and_the_outer_id_kept()
    {
        var ip = Bytes.IPv4(Src4, Dst4, 6, SynSegment());
        Assert.Equal(100, DecodeOk(LinkType.Ethernet, Bytes.Ethernet(0x0800, ip, 100)).VlanId);
        var qinq = Bytes.Ethernet(0x0800, ip, 200, 300);
        qinq[12] = 0x88;
        qinq[13] = 0xA8; // 802.1ad outer tag
        var tcp = DecodeOk(LinkType.Ethernet, qinq);
        Assert.Equal(200, tcp.VlanId);
        Assert.Equal(22, tcp.IPOffset);
    }

    [Fact]
    public void Mpls_label_stack_is_skipped()
    {
        var ip = Bytes.IPv4(Src4, Dst4, 6, SynSegment());
        var labels = new byte[] { 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40 }; // two labels, the second bottom-of-stack
        var tcp = DecodeOk(LinkType.Ethernet, Bytes.Ethernet(0x8847, Bytes.Concat(labels, ip)));
        Assert.Equal(22, tcp.IPOffset);
        Assert.Equal(45678, tcp.SourcePort);
    }

    [Fact]
    public void Ethernet_IPv6_with_extension_headers()
    {
        // Hop-by-hop (8 bytes, next = destination options), destination options (8 bytes, next = TCP).
        var ext = new byte[] { 60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0 };
        var frame = Bytes.Ethernet(0x86DD, Bytes.IPv6(Src6, Dst6, 0, SynSegment(), hopLimit: 255, extensions: ext));
        var tcp = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(6, tcp.IPVersion);
        Assert.Equal("fd00:198:18::1", tcp.SourceAddress.ToString());
        Assert.Equal("fd00:198:18::2", tcp.DestinationAddress.ToString());
        Assert.Equal(255, tcp.Ttl);
        Assert.Equal(14 + 40 + 16, tcp.TcpOffset);
        Assert.Equal(40, tcp.TcpHeaderLength);
        Assert.Equal(TcpChecksumStatus.Good, InternetChecksum.VerifyTcp(frame, tcp));
    }

    [Fact]
    public void IPv6_atomic_fragment_is_whole_but_a_real_fragment_is_not_decoded()
    {
        var atomic = new byte[] { 6, 0, 0, 0, 0, 0, 0, 1 };
        Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(LinkType.Raw, Bytes.IPv6(Src6, Dst6, 44, SynSegment(), extensions: atomic), out _));
        var first = new byte[] { 6, 0, 0, 1, 0, 0, 0, 1 }; // offset 0, more fragments
        Assert.Equal(DecodeStatus.Fragment, PacketDecoder.TryDecode(LinkType.Raw, Bytes.IPv6(Src6, Dst6, 44, SynSegment(), extensions: first), out _));
    }

    [Theory]
    [InlineData((ushort)0x2000)] // more fragments
    [InlineData((ushort)0x0010)] // offset 128
    public void IPv4_fragments_are_not_decoded(ushort fragmentField)
    {
        var frame = Bytes.IPv4(Src4, Dst4, 6, SynSegment(), fragment: fragmentField);
        Assert.Equal(DecodeStatus.Fragment, PacketDecoder.TryDecode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Linux_cooked_v1_and_v2()
    {
        var ip = Bytes.IPv4(Src4, Dst4, 6, SynSegment());
        var sll = new byte[16];
        sll[14] = 0x08; // protocol 0x0800
        Assert.Equal(16, DecodeOk(LinkType.LinuxSll, Bytes.Concat(sll, ip)).IPOffset);
        var sll2 = new byte[20];
        sll2[0] = 0x86;
        sll2[1] = 0xDD;
        var ip6 = Bytes.IPv6(Src6, Dst6, 6, SynSegment());
        var tcp = DecodeOk(LinkType.LinuxSll2, Bytes.Concat(sll2, ip6));
        Assert.Equal(20, tcp.IPOffset);
        Assert.Equal(6, tcp.IPVersion);
    }

    [Theory]
    [InlineData(LinkType.Null, 2u, false, 4)]
    [InlineData(LinkType.Null, 2u, true, 4)]          // written by a big-endian host
    [InlineData(LinkType.Null, 30u, false, 6)]        // Darwin AF_INET6
    [InlineData(LinkType.Null, 24u, false, 6)]        // NetBSD/OpenBSD
    [InlineData(LinkType.Null, 28u, true, 6)]         // FreeBSD
    [InlineData(LinkType.Loop, 2u, true, 4)]          // OpenBSD loop: network order
    public void Bsd_loopback_families(LinkType linkType, uint family, bool bigEndian, int version)
    {
        var header = new byte[4];
        if (bigEndian) { BinaryPrimitives.WriteUInt32BigEndian(header, family); } else { BinaryPrimitives.WriteUInt32LittleEndian(header, family); }
        var ip = version == 4 ? Bytes.IPv4(Src4, Dst4, 6, SynSegment()) : Bytes.IPv6(Src6, Dst6, 6, SynSegment());
        var tcp = DecodeOk(linkType, Bytes.Concat(header, ip));
        Assert.Equal(version, tcp.IPVersion);
        Assert.Equal(4, tcp.IPOffset);
    }

    [Theory]
    [InlineData(LinkType.Raw)]
    [InlineData(LinkType.RawBsd)]
    [InlineData(LinkType.IPv4)]
    public void Raw_IP(LinkType linkType)
    {
        var tcp = DecodeOk(linkType, Bytes.IPv4(Src4, Dst4, 6, SynSegment()));
        Assert.Equal(0, tcp.IPOffset);
        Assert.Equal(4, tcp.IPVersion);
    }

    [Fact]
    public void Raw_IPv6_link_type_rejects_an_IPv4_packet()
    {
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.TryDecode(LinkType.IPv6, Bytes.IPv4(Src4, Dst4, 6, SynSegment()), out _));
    }

    [Fact]
    public void Non_IP_and_non_TCP_are_classified()
    {
        Assert.Equal(DecodeStatus.NotIP, PacketDecoder.TryDecode(LinkType.Ethernet, Bytes.Ethernet(0x0806, new byte[28]), out _));
        var udp = Bytes.IPv4(Src4, Dst4, 17, new byte[8]);
        Assert.Equal(DecodeStatus.NotTcp, PacketDecoder.TryDecode(LinkType.Raw, udp, out _));
        var icmp6 = Bytes.IPv6(Src6, Dst6, 58, new byte[8], fillTcpChecksum: false);
        Assert.Equal(DecodeStatus.NotTcp, PacketDecoder.TryDecode(LinkType.Raw, icmp6, out _));
        Assert.Equal(DecodeStatus.UnsupportedLinkType, PacketDecoder.TryDecode((LinkType)105, new byte[40], out _));
    }

    [Fact]
    public void Headers_cut_by_the_snap_length()
    {
        var frame = Bytes.Ethernet(0x0800, Bytes.IPv4(Src4, Dst4, 6, SynSegment()));
        Assert.Equal(DecodeStatus.TruncatedHeader, PacketDecoder.TryDecode(LinkType.Ethernet, frame.AsSpan(0, 10), frame.Length, out _));
        Assert.Equal(DecodeStatus.TruncatedHeader, PacketDecoder.TryDecode(LinkType.Ethernet, frame.AsSpan(0, 30), frame.Length, out _));
        Assert.Equal(DecodeStatus.TruncatedHeader, PacketDecoder.TryDecode(LinkType.Ethernet, frame.AsSpan(0, 14 + 20 + 10), frame.Length, out _));
        // Fixed header present, options cut: still a segment, options flagged, checksum not judged.
        var tcp = DecodeOk(LinkType.Ethernet, frame[..(14 + 20 + 24)], frame.Length);
        Assert.True(tcp.OptionsTruncated);
        Assert.Equal(TcpChecksumStatus.Unverified, InternetChecksum.VerifyTcp(frame.AsSpan(0, 14 + 20 + 24), tcp));
    }

    [Fact]
    public void Payload_cut_by_the_snap_length_keeps_the_wire_length()
    {
        var frame = Bytes.Ethernet(0x0800, Bytes.IPv4(Src4, Dst4, 6, Bytes.Tcp(1, 2, 3, 4, TcpFlags.Ack, 5, null, new byte[1000])));
        var tcp = DecodeOk(LinkType.Ethernet, frame[..96], frame.Length);
        Assert.Equal(1000, tcp.PayloadLength);
        Assert.Equal(96 - 54, tcp.CapturedPayloadLength);
    }

    // Third-party captures hold packets whose IP length claims more than the wire carried (the frame's original
    // length says so, not the snap length). tshark takes what the wire carried ("IPv4 total length exceeds packet
    // length"): a capture made here with scapy (IPv4 length 1500 on a 60-byte frame with 6 payload bytes) reads
    // tcp.len 6 in tshark 4.0; one whose TCP header (data offset 15) is longer than the 40 bytes the wire carried
    // after the IP header is "Short segment ... Malformed Packet", no TCP length at all.
    [Fact]
    public void An_IPv4_length_beyond_what_the_wire_carried_is_cut_to_it()
    {
        var ip = Bytes.IPv4(Src4, Dst4, 6, Bytes.Tcp(1, 2, 3, 4, TcpFlags.Ack, 5, null, new byte[6]));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), 1500);
        var frame = Bytes.Ethernet(0x0800, ip);
        var tcp = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(6, tcp.PayloadLength);
        Assert.Equal(6, tcp.CapturedPayloadLength);
        Assert.Equal(frame.Length - 14, tcp.IPLength);
        // The same length on a frame the snap length cut (the wire carried 1,514 bytes) counts in full.
        var cut = DecodeOk(LinkType.Ethernet, frame, wireLength: 14 + 1500);
        Assert.Equal(1500 - 40, cut.PayloadLength);
        Assert.Equal(6, cut.CapturedPayloadLength);
    }

    [Fact]
    public void An_IPv6_payload_length_beyond_what_the_wire_carried_is_cut_to_it()
    {
        var ip = Bytes.IPv6(Src6, Dst6, 6, Bytes.Tcp(1, 2, 3, 4, TcpFlags.Ack, 5, null, new byte[6]));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), 1400);
        var tcp = DecodeOk(LinkType.Ethernet, Bytes.Ethernet(0x86DD, ip));
        Assert.Equal(6, tcp.PayloadLength);
        Assert.Equal(40 + 20 + 6, tcp.IPLength);
        Assert.Equal(1400 - 20, DecodeOk(LinkType.Ethernet, Bytes.Ethernet(0x86DD, ip), wireLength: 14 + 40 + 1400).PayloadLength);
    }

    // routed.pcap (tests/data/captures/make-quirks.py): six SYNs whose checksum covers a final destination or home
    // address other than the header's (IPv4 LSRR and SSRR; IPv6 routing types 0, 2 and 4 with segments left; a Home
    // Address option), all Good in tshark 4.0.17. Changing the final address (or the home address) makes each Bad,
    // so the checksum is proven to cover it, not the header's.
    [Fact]
    public void The_pseudo_header_holds_the_final_destination_and_the_home_address()
    {
        using var reader = Capture.CaptureFileReader.Open(System.IO.Path.Combine(TestData.Captures, "routed.pcap"));
        int n = 0;
        while (reader.TryReadNext(out var meta, out var data))
        {
            var frame = data.ToArray();
            var tcp = DecodeOk(meta.LinkType, frame);
            Assert.Equal(TcpChecksumStatus.Good, InternetChecksum.VerifyTcp(frame, tcp));
            // The last byte of the final destination (last route entry; first segment of an SRH) or of the home address.
            int at = tcp.SourcePort switch
            {
                40000 or 40001 => tcp.IPOffset + 20 + frame[tcp.IPOffset + 21] - 1, // the option is first, its last 4 bytes the final address
                40004 => tcp.IPOffset + 40 + 8 + 15,
                _ => tcp.TcpOffset - 1, // the routing header's last address, or the home address, ends where TCP begins
            };
            frame[at] ^= 0x01;
            Assert.Equal(TcpChecksumStatus.Bad, InternetChecksum.VerifyTcp(frame, tcp));
            n++;
        }
        Assert.Equal(6, n);
    }

    [Fact]
    public void A_TCP_header_longer_than_what_the_wire_carried_is_no_segment()
    {
        var ip = Bytes.IPv4(Src4, Dst4, 6, Bytes.Tcp(1, 2, 3, 4, TcpFlags.Ack, 5));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), 100);
        ip[20 + 12] = 0xF0; // data offset 15 words: 60 bytes, of which the frame holds 20
        var frame = Bytes.Ethernet(0x0800, ip);
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.TryDecode(LinkType.Ethernet, frame, frame.Length, out _));
        // Had the snap length cut it (the wire carried the 100 bytes), it is a segment with its options cut.
        Assert.True(DecodeOk(LinkType.Ethernet, frame, wireLength: 14 + 100).OptionsTruncated);
    }

    [Fact]
    public void Impossible_header_lengths_are_malformed()
    {
        var ip = Bytes.IPv4(Src4, Dst4, 6, SynSegment());
        var badIhl = (byte[])ip.Clone();
        badIhl[0] = 0x44;
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.TryDecode(LinkType.Raw, badIhl, out _));
        var badOffset = (byte[])ip.Clone();
        badOffset[20 + 12] = 0x40; // data offset 4 words
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.TryDecode(LinkType.Raw, badOffset, out _));
        var shortTotal = (byte[])ip.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(shortTotal.AsSpan(2), 30); // total length shorter than IP + TCP headers
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.TryDecode(LinkType.Raw, shortTotal, out _));
    }

    [Fact]
    public void Corrupted_segment_has_a_bad_checksum()
    {
        var frame = Bytes.IPv4(Src4, Dst4, 6, SynSegment(new byte[] { 1, 2, 3 }));
        frame[^1] ^= 0xFF;
        var tcp = DecodeOk(LinkType.Raw, frame);
        Assert.Equal(TcpChecksumStatus.Bad, InternetChecksum.VerifyTcp(frame, tcp));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(1001)]
    public void Checksum_matches_an_independent_big_endian_sum_for_any_payload_length(int length)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        var frame = Bytes.IPv6(Src6, Dst6, 6, Bytes.Tcp(1, 2, 3, 4, TcpFlags.Ack, 5, null, payload));
        var tcp = DecodeOk(LinkType.Raw, frame);
        Assert.Equal(TcpChecksumStatus.Good, InternetChecksum.VerifyTcp(frame, tcp));
    }

    [Fact]
    public void Segment_length_counts_syn_and_fin()
    {
        var tcp = DecodeOk(LinkType.Raw, Bytes.IPv4(Src4, Dst4, 6, Bytes.Tcp(1, 2, 3, 4, TcpFlags.Syn | TcpFlags.Fin, 5, null, new byte[10])));
        Assert.Equal(12u, tcp.SegmentLength);
    }
}
