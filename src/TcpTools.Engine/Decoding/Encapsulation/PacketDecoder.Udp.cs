using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort VxlanPort = 4789;
    private const ushort VxlanLinuxPort = 8472;
    private const ushort VxlanGpePort = 4790;
    private const ushort GenevePort = 6081;
    private const ushort GtpUserPort = 2152;
    private const ushort AyiyaPort = 5072;
    private const ushort GreInUdpPort = 4754;

    /// <summary>
    /// A UDP datagram at <paramref name="offset"/> (its IP header at <paramref name="ip"/>, <paramref name="length"/>
    /// bytes of IP payload): the tunnels that UDP carries, by their well-known ports (Teredo also by its addresses).
    /// Anything else on UDP is not TCP.
    /// </summary>
    private static DecodeStatus DecodeUdp<TSink>(ReadOnlySpan<byte> frame, int ip, int offset, int length, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (length < 8 || frame.Length < offset + 8)
        {
            return DecodeStatus.NotTcp;
        }
        ushort source = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        ushort destination = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 4)..]);
        // The datagram ends where its own length says, unless that claims more than the IP payload (or is the zero
        // of an IPv6 jumbogram).
        int end = offset + (udpLength >= 8 && udpLength <= length ? udpLength : length);
        int body = offset + 8;
        // The destination port first, then the source port, as Zeek's and tshark's UDP dispatch try them: a tunnel's
        // far end answers from its well-known port.
        TunnelType type = ByPort(destination);
        if (type == TunnelType.None)
        {
            type = ByPort(source);
        }
        switch (type)
        {
            case TunnelType.Vxlan:
                return DecodeVxlan<TSink>(frame, ip, offset, body, end, ref tcp);
            case TunnelType.VxlanGpe:
                return DecodeVxlanGpe<TSink>(frame, ip, offset, body, end, ref tcp);
            case TunnelType.Geneve:
                return DecodeGeneve<TSink>(frame, ip, offset, body, end, ref tcp);
            case TunnelType.Gre:
                TSink.Layer(Layer.Udp);
                return DecodeGre<TSink>(frame, ip, offset, body, end, ref tcp);
            case TunnelType.GtpU:
                return DecodeGtpU<TSink>(frame, ip, offset, body, end, ref tcp);
            case TunnelType.Ayiya:
                return DecodeAyiya<TSink>(frame, ip, offset, body, end, ref tcp);
        }
        return DecodeTeredo<TSink>(frame, ip, offset, source, destination, body, end, ref tcp);
    }

    private static TunnelType ByPort(ushort port) => port switch
    {
        VxlanPort or VxlanLinuxPort => TunnelType.Vxlan,
        VxlanGpePort => TunnelType.VxlanGpe,
        GenevePort => TunnelType.Geneve,
        GreInUdpPort => TunnelType.Gre,
        GtpUserPort => TunnelType.GtpU,
        AyiyaPort => TunnelType.Ayiya,
        _ => TunnelType.None,
    };
}
