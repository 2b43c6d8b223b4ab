using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort EtherTypeVnTag = 0x8926;
    private const ushort EtherTypeETag = 0x893F;

    /// <summary>
    /// Cisco VN-Tag (4 bytes after its Ethernet type) and its standard successor, IEEE 802.1BR E-Tag (6 bytes): tags
    /// in the Ethernet header, as a VLAN tag is, followed by the next Ethernet type (VLAN tags included).
    /// </summary>
    private static DecodeStatus DecodeVnTag<TSink>(ushort etherType, ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        int length = etherType == EtherTypeVnTag ? 4 : 6;
        if (frame.Length < offset + length + 2)
        {
            return DecodeStatus.TruncatedHeader;
        }
        TSink.Layer(etherType == EtherTypeVnTag ? Layer.VnTag : Layer.ETag);
        return DecodeTagged<TSink>(BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + length)..]), frame, offset + length + 2, ref tcp);
    }
}
