using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort TeredoPort = 3544;
    private const uint TeredoPrefix = 0x2001_0000;

    /// <summary>
    /// Teredo (RFC 4380): IPv6 in UDP (port 3544, or carrying a Teredo address), after optional authentication and
    /// origin-indication headers. Decoded like Zeek's Teredo analyzer, so a TCP connection carried over Teredo is
    /// tracked as the IPv6 connection it is. Anything else on UDP is not TCP.
    /// </summary>
    private static DecodeStatus DecodeTeredo<TSink>(ReadOnlySpan<byte> frame, int ip, int udp, ushort source, ushort destination, int offset, int end, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        bool teredoPort = source == TeredoPort || destination == TeredoPort;
        end = Math.Min(end, frame.Length);
        int at = offset;
        if (at + 2 <= end && frame[at] == 0 && frame[at + 1] == 1)
        {
            // Authentication: 0x0001, client id length, auth value length, id, value, 8-byte nonce, confirmation byte.
            if (at + 4 > end)
            {
                return DecodeStatus.NotTcp;
            }
            at += 4 + frame[at + 2] + frame[at + 3] + 9;
        }
        if (at + 2 <= end && frame[at] == 0 && frame[at + 1] == 0)
        {
            at += 8; // origin indication: 0x0000, obfuscated port and IPv4 address
        }
        if (at + 40 > end || frame[at] >> 4 != 6 || 40 + BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 4)..]) > end - at)
        {
            return DecodeStatus.NotTcp;
        }
        // Off port 3544 (a relay's ports), the heuristic Zeek and tshark use: a Teredo address (2001:0::/32) inside.
        if (!teredoPort && BinaryPrimitives.ReadUInt32BigEndian(frame[(at + 8)..]) != TeredoPrefix && BinaryPrimitives.ReadUInt32BigEndian(frame[(at + 24)..]) != TeredoPrefix)
        {
            return DecodeStatus.NotTcp;
        }
        TSink.Layer(Layer.Udp);
        TSink.Layer(Layer.Teredo);
        if (!EnterTunnel<TSink>(ref tcp, TunnelType.Teredo, frame, ip, udp, end, -1, idIsNetwork: false))
        {
            return DecodeStatus.NestingTooDeep;
        }
        return DecodeIPv6<TSink>(frame, at, ref tcp);
    }
}
