using System;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    /// <summary>
    /// AYIYA (anything in anything, UDP 5072): an 8-byte header (identity length as a power of two, signature length
    /// in 4-byte words, the opcode, the next header's IP protocol, an epoch time), the identity and the signature,
    /// then an IPv4 or IPv6 packet when the opcode is 1 (forward) and the next header 4 or 41, as Zeek's analyzer
    /// reads it.
    /// </summary>
    private static DecodeStatus DecodeAyiya<TSink>(ReadOnlySpan<byte> frame, int ip, int udp, int offset, int end, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 8 || end - offset < 8)
        {
            return DecodeStatus.NotTcp;
        }
        if ((frame[offset + 2] & 0x0F) != 1)
        {
            return DecodeStatus.NotTcp; // not a forwarded packet (echo requests, motd)
        }
        byte next = frame[offset + 3];
        if (next is not (ProtocolIPv4InIP or ProtocolIPv6InIP))
        {
            return DecodeStatus.UnknownEncapsulation;
        }
        int inner = offset + 8 + (1 << (frame[offset] >> 4)) + (frame[offset + 1] >> 4) * 4;
        if (inner >= end)
        {
            return DecodeStatus.Malformed;
        }
        TSink.Layer(Layer.Udp);
        TSink.Layer(Layer.Ayiya);
        if (!EnterTunnel<TSink>(ref tcp, TunnelType.Ayiya, frame, ip, udp, end, -1, idIsNetwork: false))
        {
            return DecodeStatus.NestingTooDeep;
        }
        return DecodeIP<TSink>(frame, inner, next == ProtocolIPv4InIP ? 4 : 6, ref tcp);
    }
}
