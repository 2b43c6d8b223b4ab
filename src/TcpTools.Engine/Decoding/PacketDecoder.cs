using System;
using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

/// <summary>
/// Decodes link layer, IP and TCP headers from a captured frame in place. No allocation, no copies: the
/// per-packet path of every cmdlet runs through here. This file holds the link types, IP and TCP; each tunnel and
/// carrier encapsulation has a file of its own (PacketDecoder.Gre.cs, PacketDecoder.Vxlan.cs, …), entered only
/// by packets that carry one, so the plain path stays what it was.
/// </summary>
/// <remarks>
/// Every decoding method is generic over an <see cref="ILayerSink"/> (static members: no argument to pass): the
/// per-packet path uses <see cref="NoLayers"/>, whose empty methods the JIT removes, and <see cref="LayerText"/>
/// and <see cref="Tunnels"/> use a sink that
/// records each layer, so the description of a segment's path comes from the same code that decoded it.
/// </remarks>
public static partial class PacketDecoder
{
    internal const ushort EtherTypeIPv4 = 0x0800;
    internal const ushort EtherTypeIPv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const ushort EtherTypeQinQOld = 0x9100;
    private const ushort EtherTypeMplsUnicast = 0x8847;
    private const ushort EtherTypeMplsMulticast = 0x8848;
    internal const byte ProtocolIPv4InIP = 4;
    internal const byte ProtocolTcp = 6;
    internal const byte ProtocolUdp = 17;
    internal const byte ProtocolIPv6InIP = 41;
    internal const byte ProtocolGre = 47;
    internal const byte IPv6HopByHop = 0;
    internal const byte IPv6Routing = 43;
    internal const byte IPv6Fragment = 44;
    private const byte IPv6Esp = 50;
    internal const byte IPv6Authentication = 51;
    private const byte IPv6NoNextHeader = 59;
    internal const byte IPv6DestinationOptions = 60;
    private const byte IPv6Mobility = 135;
    private const byte IPv6Hip = 139;
    private const byte IPv6Shim6 = 140;

    /// <summary>
    /// The most encapsulations (tunnels, and carrier headers that hold a whole frame: 802.1ah, FabricPath) one frame
    /// may nest: deeper is <see cref="DecodeStatus.NestingTooDeep"/>, a guard against crafted loops.
    /// </summary>
    public const int MaxNesting = 10;

    /// <summary>
    /// The length of an IPv6 extension header of kind <paramref name="kind"/> starting at <paramref name="header"/>
    /// (which holds at least its first two bytes): 8 for a fragment header, the length field in 4-byte units plus 2
    /// for an authentication header (RFC 4302), in 8-byte units plus 1 for the rest (RFC 8200 4).
    /// </summary>
    internal static int ExtensionHeaderLength(byte kind, ReadOnlySpan<byte> header) => kind switch
    {
        IPv6Fragment => 8,
        IPv6Authentication => (header[1] + 2) * 4,
        _ => (header[1] + 1) * 8,
    };

    /// <summary>True for the link types <see cref="TryDecode(LinkType, ReadOnlySpan{byte}, int, out DecodedTcp)"/> reads.</summary>
    public static bool IsSupported(LinkType linkType) => linkType switch
    {
        LinkType.Null or LinkType.Loop or LinkType.Ethernet or LinkType.Raw or LinkType.RawBsd or LinkType.RawOpenBsd
            or LinkType.IPv4 or LinkType.IPv6 or LinkType.LinuxSll or LinkType.LinuxSll2 or LinkType.Fddi
            or LinkType.Ppp or LinkType.PppSerial or LinkType.PppEther or LinkType.CiscoHdlc => true,
        _ => false,
    };

    /// <summary>Decodes one frame, captured whole. <paramref name="tcp"/> is filled only when the result is <see cref="DecodeStatus.Tcp"/>.</summary>
    public static DecodeStatus TryDecode(LinkType linkType, ReadOnlySpan<byte> frame, out DecodedTcp tcp) =>
        TryDecode(linkType, frame, frame.Length, out tcp);

    /// <summary>
    /// Decodes one frame of <paramref name="wireLength"/> bytes on the wire (its original length), of which
    /// <paramref name="frame"/> holds what was captured. An IP length that claims more than the wire carried is cut
    /// to what it carried, as tshark cuts it ("IPv4 total length exceeds packet length"); one that the snap length
    /// cut counts in full. <paramref name="tcp"/> is filled only when the result is <see cref="DecodeStatus.Tcp"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static DecodeStatus TryDecode(LinkType linkType, ReadOnlySpan<byte> frame, int wireLength, out DecodedTcp tcp)
    {
        return Decode<NoLayers>(linkType, frame, wireLength, out tcp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into TryDecode: the per-packet path makes no call for it
    private static DecodeStatus Decode<TSink>(LinkType linkType, ReadOnlySpan<byte> frame, int wireLength, out DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        tcp = default;
        tcp.VlanId = -1;
        // Until an IP header is decoded, IPLength holds where the frame ends on the wire (an offset: the end of an
        // outer IP packet once inside a tunnel): no IP length inside counts for more (a field of its own made the
        // struct larger, and every segment slower to zero and copy).
        tcp.IPLength = Math.Max(wireLength, frame.Length);
        int offset;
        int ipVersion; // 0 = by the first nibble
        switch (linkType)
        {
            case LinkType.Ethernet:
                return DecodeEthernet<TSink>(frame, 0, ref tcp);
            case LinkType.Raw:
            case LinkType.RawBsd:
            case LinkType.RawOpenBsd:
                TSink.Layer(Layer.Raw);
                offset = 0;
                ipVersion = 0;
                break;
            case LinkType.IPv4:
                offset = 0;
                ipVersion = 4;
                break;
            case LinkType.IPv6:
                offset = 0;
                ipVersion = 6;
                break;
            case LinkType.Null:
            case LinkType.Loop:
            {
                if (frame.Length < 4)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                // DLT_NULL's family is in the capturing host's byte order, which the file does not record:
                // families are small, so a value above 0xFFFF means the other order.
                uint family = linkType == LinkType.Loop ? BinaryPrimitives.ReadUInt32BigEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
                if (family > 0xFFFF)
                {
                    family = BinaryPrimitives.ReverseEndianness(family);
                }
                ipVersion = family switch
                {
                    2 => 4,
                    10 or 24 or 28 or 30 => 6, // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
                    _ => -1,
                };
                if (ipVersion < 0)
                {
                    return DecodeStatus.NotIP;
                }
                TSink.Layer(Layer.Null);
                offset = 4;
                break;
            }
            case LinkType.LinuxSll:
                if (frame.Length < 16)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                TSink.Layer(Layer.Sll);
                return DecodeByEtherType<TSink>(BinaryPrimitives.ReadUInt16BigEndian(frame[14..]), frame, 16, ref tcp);
            case LinkType.LinuxSll2:
                if (frame.Length < 20)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                TSink.Layer(Layer.Sll);
                return DecodeByEtherType<TSink>(BinaryPrimitives.ReadUInt16BigEndian(frame), frame, 20, ref tcp);
            case LinkType.Fddi:
                return DecodeFddi<TSink>(frame, ref tcp);
            case LinkType.Ppp:
            case LinkType.PppSerial:
                return DecodePppLink<TSink>(frame, ref tcp);
            case LinkType.PppEther:
                return DecodePppoe<TSink>(frame, 0, ref tcp);
            case LinkType.CiscoHdlc:
                return DecodeCiscoHdlc<TSink>(frame, 0, ref tcp);
            default:
                return DecodeStatus.UnsupportedLinkType;
        }
        return DecodeIP<TSink>(frame, offset, ipVersion, ref tcp);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private static DecodeStatus DecodeEthernet<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 14)
        {
            return DecodeStatus.TruncatedHeader;
        }
        TSink.Layer(Layer.Ethernet);
        return DecodeTagged<TSink>(BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 12)..]), frame, offset + 14, ref tcp);
    }

    /// <summary>The payload at <paramref name="offset"/>, of the Ethernet type <paramref name="etherType"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private static DecodeStatus DecodeByEtherType<TSink>(ushort etherType, ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        switch (etherType)
        {
            case EtherTypeIPv4:
                return DecodeIP<TSink>(frame, offset, 4, ref tcp);
            case EtherTypeIPv6:
                return DecodeIP<TSink>(frame, offset, 6, ref tcp);
            case EtherTypeMplsUnicast:
            case EtherTypeMplsMulticast:
                // Label stack entries until bottom-of-stack; the payload type is not signalled, so it is
                // guessed from the IP version nibble as Wireshark does.
                TSink.Layer(Layer.Mpls);
                while (true)
                {
                    if (frame.Length < offset + 4)
                    {
                        return DecodeStatus.TruncatedHeader;
                    }
                    bool bottom = (frame[offset + 2] & 0x01) != 0;
                    offset += 4;
                    if (bottom)
                    {
                        break;
                    }
                }
                return DecodeIP<TSink>(frame, offset, 0, ref tcp);
            default:
                return DecodeCarrier<TSink>(etherType, frame, offset, ref tcp);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private static DecodeStatus DecodeIP<TSink>(ReadOnlySpan<byte> frame, int offset, int version, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length <= offset)
        {
            return DecodeStatus.TruncatedHeader;
        }
        int nibble = frame[offset] >> 4;
        if (version == 0)
        {
            version = nibble;
        }
        if (nibble != version)
        {
            return version is 4 or 6 ? DecodeStatus.Malformed : DecodeStatus.NotIP;
        }
        return version switch
        {
            4 => DecodeIPv4<TSink>(frame, offset, ref tcp),
            6 => DecodeIPv6<TSink>(frame, offset, ref tcp),
            _ => DecodeStatus.NotIP,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private static DecodeStatus DecodeIPv4<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 20)
        {
            return DecodeStatus.TruncatedHeader;
        }
        var ip = frame[offset..];
        int headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < 20)
        {
            return DecodeStatus.Malformed;
        }
        TSink.Layer(Layer.IPv4);
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        int onWire = tcp.IPLength - offset; // the wire length (TryDecode), as yet
        if (totalLength == 0 || totalLength > onWire)
        {
            // Zero: segmentation offload, the sender's capture sees one large packet with a zero length field. More
            // than the wire carried: a length that lies (tshark: "IPv4 total length exceeds packet length").
            totalLength = onWire;
        }
        if (totalLength < headerLength)
        {
            return DecodeStatus.Malformed;
        }
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        if ((fragment & 0x3FFF) != 0) // more-fragments flag or a non-zero offset
        {
            // Where the fragment lies, for the reassembler: its IP header, length, and where its fragmentable part begins.
            tcp.IPVersion = 4;
            tcp.IPOffset = offset;
            tcp.IPLength = totalLength;
            tcp.TcpOffset = offset + headerLength;
            return DecodeStatus.Fragment;
        }
        if (ip[9] != ProtocolTcp)
        {
            return DecodeIPPayload<TSink>(ip[9], frame, offset, offset + headerLength, totalLength - headerLength, ref tcp);
        }
        if (ip.Length < headerLength)
        {
            return DecodeStatus.TruncatedHeader;
        }
        tcp.IPVersion = 4;
        tcp.Ttl = ip[8];
        tcp.SourceAddress = IPAddressValue.FromIPv4(ip[12..]);
        tcp.DestinationAddress = IPAddressValue.FromIPv4(ip[16..]);
        tcp.IPOffset = offset;
        tcp.IPLength = totalLength;
        TSink.Layer(Layer.Tcp);
        return DecodeTcpHeader(frame, offset + headerLength, totalLength - headerLength, ref tcp);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private static DecodeStatus DecodeIPv6<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 40)
        {
            return DecodeStatus.TruncatedHeader;
        }
        TSink.Layer(Layer.IPv6);
        var ip = frame[offset..];
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        int onWire = tcp.IPLength - offset - 40; // the wire length (TryDecode), as yet
        if (payloadLength == 0 || payloadLength > onWire)
        {
            // Zero: a jumbogram or offload, take what the wire carried. More than the wire carried: a length that lies,
            // cut as tshark cuts it.
            payloadLength = onWire;
        }
        byte next = ip[6];
        int position = 40;
        while (next != ProtocolTcp)
        {
            switch (next)
            {
                case IPv6HopByHop:
                case IPv6Routing:
                case IPv6DestinationOptions:
                case IPv6Mobility:
                case IPv6Hip:
                case IPv6Shim6:
                case IPv6Authentication:
                {
                    if (ip.Length < position + 2)
                    {
                        return DecodeStatus.TruncatedHeader;
                    }
                    TSink.Layer(ExtensionLayer(next));
                    int length = ExtensionHeaderLength(next, ip[position..]);
                    next = ip[position];
                    position += length;
                    break;
                }
                case IPv6Fragment:
                {
                    if (ip.Length < position + 8)
                    {
                        return DecodeStatus.TruncatedHeader;
                    }
                    ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[(position + 2)..]);
                    if ((fragment & 0xFFF9) != 0) // offset or more-fragments; an atomic fragment (RFC 6946) is whole
                    {
                        // For the reassembler: the IP header, its length, and the fragment header's offset.
                        tcp.IPVersion = 6;
                        tcp.IPOffset = offset;
                        tcp.IPLength = 40 + payloadLength;
                        tcp.TcpOffset = offset + position;
                        return position + 8 > 40 + payloadLength ? DecodeStatus.Malformed : DecodeStatus.Fragment;
                    }
                    TSink.Layer(Layer.IPv6Fragment);
                    next = ip[position];
                    position += 8;
                    break;
                }
                case IPv6NoNextHeader:
                case IPv6Esp:
                    return DecodeStatus.NotTcp;
                default:
                    return position > 40 + payloadLength ? DecodeStatus.Malformed
                        : DecodeIPPayload<TSink>(next, frame, offset, offset + position, 40 + payloadLength - position, ref tcp);
            }
            if (position > 40 + payloadLength)
            {
                return DecodeStatus.Malformed;
            }
        }
        tcp.IPVersion = 6;
        tcp.Ttl = ip[7];
        tcp.SourceAddress = IPAddressValue.FromIPv6(ip[8..]);
        tcp.DestinationAddress = IPAddressValue.FromIPv6(ip[24..]);
        tcp.IPOffset = offset;
        tcp.IPLength = 40 + payloadLength;
        TSink.Layer(Layer.Tcp);
        return DecodeTcpHeader(frame, offset + position, 40 + payloadLength - position, ref tcp);
    }

    /// <summary>
    /// Decodes a reassembled datagram: <paramref name="frame"/> holds the headers in front of it as its first fragment
    /// came, and the whole IP packet at <paramref name="ipOffset"/>; <paramref name="tcp"/> holds the decoder's state
    /// when it reached that fragment (VLAN, tunnels, nesting), so the headers in front are not decoded again, and the
    /// lengths they state (an outer IP or UDP length, which held one fragment) do not cut the whole packet.
    /// </summary>
    internal static DecodeStatus DecodeReassembled(ReadOnlySpan<byte> frame, int ipOffset, int wireLength, ref DecodedTcp tcp)
    {
        tcp.IPLength = Math.Max(wireLength, frame.Length);
        return DecodeIP<NoLayers>(frame, ipOffset, tcp.IPVersion, ref tcp);
    }

    private static Layer ExtensionLayer(byte kind) => kind switch
    {
        IPv6HopByHop => Layer.IPv6HopByHop,
        IPv6Routing => Layer.IPv6Routing,
        IPv6DestinationOptions => Layer.IPv6DestinationOptions,
        IPv6Authentication => Layer.Authentication,
        _ => Layer.IPv6Extension,
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private static DecodeStatus DecodeTcpHeader(ReadOnlySpan<byte> frame, int offset, int segmentLength, ref DecodedTcp tcp)
    {
        if (frame.Length < offset + 20)
        {
            return DecodeStatus.TruncatedHeader;
        }
        var h = frame[offset..];
        int headerLength = (h[12] >> 4) * 4;
        if (headerLength < 20 || segmentLength < headerLength)
        {
            return DecodeStatus.Malformed;
        }
        tcp.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(h);
        tcp.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(h[2..]);
        tcp.SequenceNumber = BinaryPrimitives.ReadUInt32BigEndian(h[4..]);
        tcp.AcknowledgmentNumber = BinaryPrimitives.ReadUInt32BigEndian(h[8..]);
        tcp.Flags = (TcpFlags)h[13];
        tcp.Window = BinaryPrimitives.ReadUInt16BigEndian(h[14..]);
        tcp.Checksum = BinaryPrimitives.ReadUInt16BigEndian(h[16..]);
        tcp.UrgentPointer = BinaryPrimitives.ReadUInt16BigEndian(h[18..]);
        tcp.TcpOffset = offset;
        tcp.TcpHeaderLength = headerLength;
        tcp.OptionsTruncated = h.Length < headerLength;
        tcp.PayloadLength = segmentLength - headerLength;
        tcp.CapturedPayloadLength = Math.Clamp(Math.Min(h.Length, segmentLength) - headerLength, 0, tcp.PayloadLength);
        return DecodeStatus.Tcp;
    }
}
