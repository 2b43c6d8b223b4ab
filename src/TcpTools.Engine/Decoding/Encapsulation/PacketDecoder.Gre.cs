using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort GreChecksum = 0x8000;
    private const ushort GreRouting = 0x4000;
    private const ushort GreKey = 0x2000;
    private const ushort GreSequence = 0x1000;
    private const ushort GreAcknowledgment = 0x0080;
    private const ushort EtherTypeErspanII = 0x88BE;
    private const ushort EtherTypeErspanIII = 0x22EB;
    private const ushort EtherTypePpp = 0x880B;
    private const ushort EtherTypeWccp = 0x883E;

    /// <summary>
    /// GRE at <paramref name="offset"/> (over IP, or over UDP at <paramref name="udp"/>, RFC 8086), its outer IP
    /// header at <paramref name="ip"/>. Version 0 (RFC 2784 and 2890, with RFC 1701's routing): the checksum and
    /// offset, key and sequence number words as the flags say, source route entries up to the null one. Version 1
    /// (enhanced GRE, PPTP's, RFC 2637): the key word (payload length, call id), sequence and acknowledgment numbers,
    /// then PPP. The payload by protocol type: IPv4, IPv6, Ethernet (transparent bridging), ERSPAN I/II/III,
    /// PPP, WCCP's redirect header, MPLS; another type is <see cref="DecodeStatus.UnknownEncapsulation"/>.
    /// </summary>
    private static DecodeStatus DecodeGre<TSink>(ReadOnlySpan<byte> frame, int ip, int udp, int offset, int end, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (end - offset < 4)
        {
            return DecodeStatus.Malformed;
        }
        if (frame.Length < offset + 4)
        {
            return DecodeStatus.TruncatedHeader;
        }
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
        int at = offset + 4;
        long key = -1;
        switch (flags & 0x07)
        {
            case 0:
                if ((flags & (GreChecksum | GreRouting)) != 0)
                {
                    at += 4;
                }
                if ((flags & GreKey) != 0)
                {
                    if (frame.Length < at + 4)
                    {
                        return DecodeStatus.TruncatedHeader;
                    }
                    key = BinaryPrimitives.ReadUInt32BigEndian(frame[at..]);
                    at += 4;
                }
                if ((flags & GreSequence) != 0)
                {
                    at += 4;
                }
                if ((flags & GreRouting) != 0)
                {
                    // Source route entries: address family, offset, length, then length bytes; a null entry ends them.
                    while (true)
                    {
                        if (at + 4 > end)
                        {
                            return DecodeStatus.Malformed;
                        }
                        if (frame.Length < at + 4)
                        {
                            return DecodeStatus.TruncatedHeader;
                        }
                        int length = frame[at + 3];
                        bool last = length == 0 && BinaryPrimitives.ReadUInt16BigEndian(frame[at..]) == 0;
                        at += 4 + length;
                        if (last)
                        {
                            break;
                        }
                    }
                }
                break;
            case 1:
                if ((flags & GreKey) == 0 || protocol != EtherTypePpp)
                {
                    return DecodeStatus.Malformed; // enhanced GRE always has the key word, and carries PPP
                }
                if (frame.Length < at + 4)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                key = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 2)..]); // the call id
                at += 4 + ((flags & GreSequence) != 0 ? 4 : 0) + ((flags & GreAcknowledgment) != 0 ? 4 : 0);
                break;
            default:
                return DecodeStatus.UnknownEncapsulation;
        }
        if (at > end)
        {
            return DecodeStatus.Malformed;
        }
        if (frame.Length < at)
        {
            return DecodeStatus.TruncatedHeader;
        }
        TunnelType type = TunnelType.Gre;
        int inner = at;
        switch (protocol)
        {
            case EtherTypeIPv4:
            case EtherTypeIPv6:
            case EtherTypeTransparentBridging:
            case EtherTypePpp:
            case EtherTypeMplsUnicast:
            case EtherTypeMplsMulticast:
                break;
            case EtherTypeErspanII:
                // Type II has a sequence number and an 8-byte header (version 1); type I has neither.
                type = TunnelType.Erspan;
                if ((flags & GreSequence) != 0)
                {
                    if (frame.Length < at + 8)
                    {
                        return DecodeStatus.TruncatedHeader;
                    }
                    key = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 2)..]) & 0x03FF; // the session id
                    inner = at + 8;
                }
                break;
            case EtherTypeErspanIII:
                // Type III: a 12-byte header (version 2), and an 8-byte platform-specific subheader when O is set.
                if (frame.Length < at + 12)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                type = TunnelType.Erspan;
                key = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 2)..]) & 0x03FF;
                inner = at + 12 + ((frame[at + 11] & 0x01) != 0 ? 8 : 0);
                break;
            case EtherTypeWccp:
                // WCCP's redirect header (4 bytes), absent when an IPv4 header follows at once, as tshark reads it.
                if (frame.Length < at + 1)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                inner = frame[at] >> 4 == 4 ? at : at + 4;
                break;
            default:
                return DecodeStatus.UnknownEncapsulation;
        }
        if (inner > end)
        {
            return DecodeStatus.Malformed;
        }
        TSink.Layer(Layer.Gre);
        if (!EnterTunnel<TSink>(ref tcp, type, frame, ip, udp, end, key, idIsNetwork: false))
        {
            return DecodeStatus.NestingTooDeep;
        }
        switch (protocol)
        {
            case EtherTypeIPv4:
                return DecodeIP<TSink>(frame, inner, 4, ref tcp);
            case EtherTypeIPv6:
                return DecodeIP<TSink>(frame, inner, 6, ref tcp);
            case EtherTypePpp:
                return DecodePpp<TSink>(frame, inner, ref tcp);
            case EtherTypeWccp:
                return DecodeIP<TSink>(frame, inner, 4, ref tcp);
            case EtherTypeMplsUnicast:
            case EtherTypeMplsMulticast:
                return DecodeByEtherType<TSink>(protocol, frame, inner, ref tcp);
            case EtherTypeErspanII:
            case EtherTypeErspanIII:
                TSink.Layer(Layer.Erspan);
                return DecodeEthernet<TSink>(frame, inner, ref tcp);
            default:
                return DecodeEthernet<TSink>(frame, inner, ref tcp);
        }
    }
}
