using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    /// <summary>
    /// VXLAN (RFC 7348): an 8-byte header (flags, the 24-bit VNI) and an Ethernet frame. Decoded whether or not the
    /// VNI flag is set, as tshark does; the VNI is the tunnel's network identifier.
    /// </summary>
    private static DecodeStatus DecodeVxlan<TSink>(ReadOnlySpan<byte> frame, int ip, int udp, int offset, int end, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (end - offset < 8 + 14)
        {
            return DecodeStatus.Malformed;
        }
        if (frame.Length < offset + 8)
        {
            return DecodeStatus.TruncatedHeader;
        }
        long vni = BinaryPrimitives.ReadUInt32BigEndian(frame[(offset + 4)..]) >> 8;
        TSink.Layer(Layer.Udp);
        TSink.Layer(Layer.Vxlan);
        if (!EnterTunnel<TSink>(ref tcp, TunnelType.Vxlan, frame, ip, udp, end, vni, idIsNetwork: true))
        {
            return DecodeStatus.NestingTooDeep;
        }
        return DecodeEthernet<TSink>(frame, offset + 8, ref tcp);
    }

    /// <summary>
    /// VXLAN-GPE (generic protocol extension): VXLAN's header with a next-protocol byte (1 IPv4, 2 IPv6,
    /// 3 Ethernet, 5 MPLS; 4, NSH, is not decoded); without the P flag the payload is Ethernet.
    /// </summary>
    private static DecodeStatus DecodeVxlanGpe<TSink>(ReadOnlySpan<byte> frame, int ip, int udp, int offset, int end, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (end - offset < 8)
        {
            return DecodeStatus.Malformed;
        }
        if (frame.Length < offset + 8)
        {
            return DecodeStatus.TruncatedHeader;
        }
        byte next = (frame[offset] & 0x04) != 0 ? frame[offset + 3] : (byte)3;
        if (next is < 1 or > 5 or 4)
        {
            return DecodeStatus.UnknownEncapsulation;
        }
        long vni = BinaryPrimitives.ReadUInt32BigEndian(frame[(offset + 4)..]) >> 8;
        TSink.Layer(Layer.Udp); // tshark 4.0 lists no layer for the GPE header itself
        if (!EnterTunnel<TSink>(ref tcp, TunnelType.VxlanGpe, frame, ip, udp, end, vni, idIsNetwork: true))
        {
            return DecodeStatus.NestingTooDeep;
        }
        return next switch
        {
            1 => DecodeIP<TSink>(frame, offset + 8, 4, ref tcp),
            2 => DecodeIP<TSink>(frame, offset + 8, 6, ref tcp),
            3 => DecodeEthernet<TSink>(frame, offset + 8, ref tcp),
            _ => DecodeByEtherType<TSink>(EtherTypeMplsUnicast, frame, offset + 8, ref tcp),
        };
    }
}
