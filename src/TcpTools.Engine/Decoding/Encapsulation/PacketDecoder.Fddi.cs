using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Decoding;

public static partial class PacketDecoder
{
    /// <summary>DLT_FDDI: frame control, destination and source (13 bytes), then IEEE 802.2 LLC with SNAP.</summary>
    private static DecodeStatus DecodeFddi<TSink>(ReadOnlySpan<byte> frame, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < 13)
        {
            return DecodeStatus.TruncatedHeader;
        }
        TSink.Layer(Layer.Fddi);
        return DecodeLlc<TSink>(frame, 13, ref tcp);
    }

    /// <summary>
    /// IEEE 802.2 LLC at <paramref name="offset"/> (after an 802.3 length field, or FDDI's header): IP only rides in
    /// a SNAP header (DSAP and SSAP 0xAA, control 3, an organisation code, an Ethernet type, RFC 1042).
    /// </summary>
    private static DecodeStatus DecodeLlc<TSink>(ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        if (frame.Length < offset + 3)
        {
            return DecodeStatus.TruncatedHeader;
        }
        if (frame[offset] != 0xAA || frame[offset + 1] != 0xAA || frame[offset + 2] != 0x03)
        {
            return DecodeStatus.NotIP; // spanning tree, NetBIOS, IPX …
        }
        if (frame.Length < offset + 8)
        {
            return DecodeStatus.TruncatedHeader;
        }
        TSink.Layer(Layer.Llc);
        return DecodeTagged<TSink>(BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]), frame, offset + 8, ref tcp);
    }
}
