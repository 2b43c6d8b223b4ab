using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort EtherTypePbb = 0x88E7;

    /// <summary>
    /// IEEE 802.1ah provider backbone bridging (MAC-in-MAC): after the backbone header and its B-TAG (an 802.1ad
    /// tag, read as a VLAN tag), the 4-byte I-TAG (flags, the 24-bit service id) and the customer's whole Ethernet
    /// frame.
    /// </summary>
    private static DecodeStatus DecodePbb<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 4 + 14)
        {
            return DecodeStatus.TruncatedHeader;
        }
        if (!EnterCarrier(ref tcp))
        {
            return DecodeStatus.NestingTooDeep;
        }
        TSink.Layer(Layer.Pbb); // the customer's Ethernet header is part of it, as tshark lists it
        return DecodeTagged<TSink>(BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 16)..]), frame, offset + 18, ref tcp);
    }
}
