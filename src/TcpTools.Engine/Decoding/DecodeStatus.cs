namespace TcpTools.Engine.Decoding;

/// <summary>The outcome of decoding one frame.</summary>
public enum DecodeStatus
{
    /// <summary>A TCP segment whose fixed header was captured in full.</summary>
    Tcp,
    /// <summary>Not IP (ARP, LLDP, ...).</summary>
    NotIP,
    /// <summary>IP but not TCP (UDP, ICMP, ...).</summary>
    NotTcp,
    /// <summary>
    /// An IP fragment. The decoder alone does not decode TCP from it: the capture readers hand it to
    /// <see cref="FragmentReassembler"/>, which decodes the datagram once its last fragment came.
    /// </summary>
    Fragment,
    /// <summary>The capture cut the frame inside the link, IP or TCP header (snap length).</summary>
    TruncatedHeader,
    /// <summary>A header field is impossible (IHL below 5, TCP data offset below 5, lengths that do not add up).</summary>
    Malformed,
    /// <summary>The link-layer type is not one the decoder reads.</summary>
    UnsupportedLinkType,
    /// <summary>
    /// A tunnel or carrier header whose payload type the decoder does not know (a GRE protocol type, a Geneve or
    /// VXLAN-GPE next protocol, a GRE or Geneve version, an AYIYA next header).
    /// </summary>
    UnknownEncapsulation,
    /// <summary>More encapsulations nested in one frame than <see cref="PacketDecoder.MaxNesting"/>.</summary>
    NestingTooDeep,
}
