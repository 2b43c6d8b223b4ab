using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const byte GtpMessageGpdu = 0xFF;

    /// <summary>
    /// GTP-U version 1 (3GPP TS 29.281): flags (version 1, protocol type GTP, and E, S, PN), the message type, the
    /// length of what follows the 8 mandatory bytes, the TEID; with any of E, S or PN the 4 optional bytes
    /// (sequence number, N-PDU number, next extension header type), then the extension headers, each a length in
    /// 4-byte words and its next type in its last byte. Only a G-PDU (type 255) carries a user's IP packet; the
    /// rest is signalling, not TCP. The TEID differs by direction, so it names the tunnel but does not key flows.
    /// </summary>
    private static DecodeStatus DecodeGtpU<TSink>(ReadOnlySpan<byte> frame, int ip, int udp, int offset, int end, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 8)
        {
            return end - offset < 8 ? DecodeStatus.NotTcp : DecodeStatus.TruncatedHeader;
        }
        byte flags = frame[offset];
        if (flags >> 5 != 1 || (flags & 0x10) == 0)
        {
            return DecodeStatus.NotTcp; // GTPv0, GTPv2-C or GTP' on the port: not user data
        }
        if (frame[offset + 1] != GtpMessageGpdu)
        {
            return DecodeStatus.NotTcp;
        }
        long teid = BinaryPrimitives.ReadUInt32BigEndian(frame[(offset + 4)..]);
        int payloadEnd = Math.Min(end, offset + 8 + BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]));
        int at = offset + 8;
        if ((flags & 0x07) != 0)
        {
            if (frame.Length < at + 4)
            {
                return DecodeStatus.TruncatedHeader;
            }
            byte next = frame[at + 3];
            at += 4;
            while (next != 0)
            {
                if (frame.Length < at + 1)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                int length = frame[at] * 4;
                if (length == 0 || at + length > payloadEnd)
                {
                    return DecodeStatus.Malformed;
                }
                if (frame.Length < at + length)
                {
                    return DecodeStatus.TruncatedHeader;
                }
                next = frame[at + length - 1];
                at += length;
            }
        }
        if (at >= payloadEnd)
        {
            return DecodeStatus.Malformed;
        }
        TSink.Layer(Layer.Udp);
        TSink.Layer(Layer.GtpU);
        if (!EnterTunnel<TSink>(ref tcp, TunnelType.GtpU, frame, ip, udp, payloadEnd, teid, idIsNetwork: false))
        {
            return DecodeStatus.NestingTooDeep;
        }
        return DecodeIP<TSink>(frame, at, 0, ref tcp);
    }
}
