using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort EtherTypePppoeSession = 0x8864;
    private const ushort PppIPv4 = 0x0021;
    private const ushort PppIPv6 = 0x0057;
    private const ushort PppMplsUnicast = 0x0281;
    private const ushort PppMplsMulticast = 0x0283;

    /// <summary>
    /// A PPP frame at <paramref name="offset"/> (RFC 1661): the HDLC-like address and control bytes (0xFF 0x03)
    /// when present, the protocol field (one byte when compressed, RFC 1661 6.5), then IPv4, IPv6 or MPLS. Link and
    /// network control protocols are not IP.
    /// </summary>
    private static DecodeStatus DecodePpp<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        int at = offset;
        if (frame.Length >= at + 2 && frame[at] == 0xFF && frame[at + 1] == 0x03)
        {
            at += 2;
        }
        if (frame.Length < at + 1)
        {
            return DecodeStatus.TruncatedHeader;
        }
        ushort protocol;
        if ((frame[at] & 0x01) != 0)
        {
            protocol = frame[at];
            at += 1;
        }
        else
        {
            if (frame.Length < at + 2)
            {
                return DecodeStatus.TruncatedHeader;
            }
            protocol = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
            at += 2;
        }
        TSink.Layer(Layer.Ppp);
        return protocol switch
        {
            PppIPv4 => DecodeIP<TSink>(frame, at, 4, ref tcp),
            PppIPv6 => DecodeIP<TSink>(frame, at, 6, ref tcp),
            PppMplsUnicast or PppMplsMulticast => DecodeByEtherType<TSink>(EtherTypeMplsUnicast, frame, at, ref tcp),
            _ => DecodeStatus.NotIP,
        };
    }

    /// <summary>
    /// A PPPoE session frame (RFC 2516, Ethernet type 0x8864 or DLT_PPP_ETHER): version and type 0x11, code 0
    /// (session data), the session id and the payload's length, then PPP. The PPP payload's own IP length decides
    /// how long the packet is, as Zeek decides it (tshark cuts it to the PPPoE length).
    /// </summary>
    private static DecodeStatus DecodePppoe<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 6)
        {
            return DecodeStatus.TruncatedHeader;
        }
        if (frame[offset] != 0x11 || frame[offset + 1] != 0x00)
        {
            return DecodeStatus.NotIP; // another version, or discovery
        }
        TSink.Layer(Layer.Pppoe);
        return DecodePpp<TSink>(frame, offset + 6, ref tcp);
    }

    /// <summary>DLT_PPP and DLT_PPP_SERIAL: PPP from the first byte, or Cisco HDLC framing (0x0F or 0x8F first) on a serial link.</summary>
    private static DecodeStatus DecodePppLink<TSink>(ReadOnlySpan<byte> frame, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < 2)
        {
            return DecodeStatus.TruncatedHeader;
        }
        return frame[0] is 0x0F or 0x8F && frame[1] == 0x00 ? DecodeCiscoHdlc<TSink>(frame, 0, ref tcp) : DecodePpp<TSink>(frame, 0, ref tcp);
    }

    /// <summary>Cisco HDLC (DLT_C_HDLC): address (0x0F unicast, 0x8F broadcast), control 0, then an Ethernet type.</summary>
    private static DecodeStatus DecodeCiscoHdlc<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 4)
        {
            return DecodeStatus.TruncatedHeader;
        }
        TSink.Layer(Layer.CiscoHdlc);
        return DecodeByEtherType<TSink>(BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]), frame, offset + 4, ref tcp);
    }
}
