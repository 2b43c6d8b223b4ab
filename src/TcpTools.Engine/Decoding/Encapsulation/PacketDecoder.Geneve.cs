using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort EtherTypeTransparentBridging = 0x6558;

    /// <summary>
    /// Geneve (RFC 8926): an 8-byte header (version 0, the options' length in 4-byte words, the payload's Ethernet
    /// type, the 24-bit VNI), its options, then the payload: Ethernet (type 0x6558), IPv4 or IPv6.
    /// </summary>
    private static DecodeStatus DecodeGeneve<TSink>(ReadOnlySpan<byte> frame, int ip, int udp, int offset, int end, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 8)
        {
            return end - offset < 8 ? DecodeStatus.Malformed : DecodeStatus.TruncatedHeader;
        }
        if (frame[offset] >> 6 != 0)
        {
            return DecodeStatus.UnknownEncapsulation; // a version after 0
        }
        int inner = offset + 8 + (frame[offset] & 0x3F) * 4;
        if (inner > end)
        {
            return DecodeStatus.Malformed;
        }
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
        if (protocol is not (EtherTypeTransparentBridging or EtherTypeIPv4 or EtherTypeIPv6))
        {
            return DecodeStatus.UnknownEncapsulation;
        }
        long vni = BinaryPrimitives.ReadUInt32BigEndian(frame[(offset + 4)..]) >> 8;
        TSink.Layer(Layer.Udp);
        TSink.Layer(Layer.Geneve);
        if (!EnterTunnel<TSink>(ref tcp, TunnelType.Geneve, frame, ip, udp, end, vni, idIsNetwork: true))
        {
            return DecodeStatus.NestingTooDeep;
        }
        return protocol == EtherTypeTransparentBridging ? DecodeEthernet<TSink>(frame, inner, ref tcp)
            : DecodeIP<TSink>(frame, inner, protocol == EtherTypeIPv4 ? 4 : 6, ref tcp);
    }
}
