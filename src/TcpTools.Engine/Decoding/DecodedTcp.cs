namespace TcpTools.Engine.Decoding;

/// <summary>
/// What <see cref="PacketDecoder"/> found in one frame: header fields and the offsets of each layer. A plain
/// value the caller owns and reuses, so decoding allocates nothing.
/// </summary>
public struct DecodedTcp
{
    /// <summary>4 or 6.</summary>
    public int IPVersion;
    public IPAddressValue SourceAddress;
    public IPAddressValue DestinationAddress;
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint SequenceNumber;
    public uint AcknowledgmentNumber;
    public TcpFlags Flags;
    public ushort Window;
    public ushort Checksum;
    public ushort UrgentPointer;

    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte Ttl;

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

    /// <summary>True when the options were cut by the snap length.</summary>
    public bool OptionsTruncated;

    /// <summary>The tunnel the segment's IP packet was carried in (addresses and lengths are the inner packet's).</summary>
    public TunnelType Tunnel;

    public readonly int PayloadOffset => TcpOffset + TcpHeaderLength;

    /// <summary>Sequence space the segment occupies: payload plus one for SYN and one for FIN.</summary>
    public readonly uint SegmentLength => (uint)PayloadLength + ((Flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((Flags & TcpFlags.Fin) != 0 ? 1u : 0u);
}
