using System;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    private const ushort EtherTypeFabricPath = 0x8903;

    /// <summary>
    /// Cisco FabricPath: the outer switch addresses, Ethernet type 0x8903 and a 2-byte tag (forwarding tag, TTL),
    /// then the classical Ethernet frame it carries, whole.
    /// </summary>
    private static DecodeStatus DecodeFabricPath<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 2)
        {
            return DecodeStatus.TruncatedHeader;
        }
        if (!EnterCarrier(ref tcp))
        {
            return DecodeStatus.NestingTooDeep;
        }
        TSink.Layer(Layer.FabricPath);
        return DecodeEthernet<TSink>(frame, offset + 2, ref tcp);
    }
}
