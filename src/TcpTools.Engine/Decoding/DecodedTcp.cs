namespace TcpTools.Engine.Decoding;

/// <summary>
/// What <see cref="PacketDecoder"/> found in one frame: header fields and the offsets of each layer. A plain
/// value the caller owns and reuses, so decoding allocates nothing. The fields are declared in an order that packs
/// them into 112 bytes: every segment copies and zeroes it.
/// </summary>
public struct DecodedTcp
{
    public IPAddressValue SourceAddress;
    public IPAddressValue DestinationAddress;
    public uint SequenceNumber;
    public uint AcknowledgmentNumber;
    public ushort SourcePort;
    public ushort DestinationPort;
    public ushort Window;
    public ushort Checksum;
    public ushort UrgentPointer;
    public TcpFlags Flags;

    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte Ttl;

    /// <summary>True when the options were cut by the snap length.</summary>
    public bool OptionsTruncated;

    /// <summary>
    /// The innermost tunnel the segment's IP packet was carried in (addresses and lengths are the inner packet's);
    /// <see cref="TunnelType.None"/> for a plain packet. The whole chain: <see cref="PacketDecoder.Tunnels"/>.
    /// </summary>
    public TunnelType Tunnel;

    /// <summary>How many IP tunnels the segment came through (0 for a plain packet).</summary>
    public byte TunnelDepth;

    /// <summary>Encapsulations entered so far (tunnels and carrier headers alike), against <see cref="PacketDecoder.MaxNesting"/>.</summary>
    internal byte Nesting;

    /// <summary>4 or 6.</summary>
    public int IPVersion;

    /// <summary>The outermost 802.1Q/802.1ad VLAN id, or -1 when untagged.</summary>
    public int VlanId;

    /// <summary>Offset of the IP header in the frame.</summary>
    public int IPOffset;

    /// <summary>Bytes of the IP packet as its header states (total length), independent of link padding and snap length.</summary>
    public int IPLength;

    /// <summary>Offset of the TCP header in the frame.</summary>
    public int TcpOffset;

    /// <summary>TCP header length in bytes (data offset × 4), options included.</summary>
    public int TcpHeaderLength;

    /// <summary>Payload bytes the segment carried on the wire, from the IP length.</summary>
    public int PayloadLength;

    /// <summary>Payload bytes present in the capture (fewer when the snap length cut the frame).</summary>
    public int CapturedPayloadLength;

    /// <summary>
    /// The tunnel chain's identity, 0 for a plain packet: a 23-bit hash (and a marker bit) of each tunnel's type, its outer addresses
    /// (in either direction alike) and its network identifier (VXLAN, VXLAN-GPE and Geneve VNI), so the same inner
    /// 4-tuple carried in two tunnels is two flows. Not the GRE key or GTP TEID, which differ by direction.
    /// </summary>
    public uint TunnelKey;

    /// <summary>Offset of the outermost tunnel's outer IP header in the frame (meaningful when <see cref="TunnelDepth"/> is above 0).</summary>
    public int TunnelOffset;

    public readonly int PayloadOffset => TcpOffset + TcpHeaderLength;

    /// <summary>Sequence space the segment occupies: payload plus one for SYN and one for FIN.</summary>
    public readonly uint SegmentLength => (uint)PayloadLength + ((Flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((Flags & TcpFlags.Fin) != 0 ? 1u : 0u);
}
