using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Decoding;

/// <summary>A header the decoder passed through on its way to TCP (<see cref="PacketDecoder.LayerName"/> gives tshark's name).</summary>
internal enum Layer : byte
{
    Ethernet,
    Vlan,
    ProviderVlan,
    Mpls,
    Raw,
    Null,
    Sll,
    Fddi,
    Llc,
    Ppp,
    Pppoe,
    CiscoHdlc,
    Pbb,
    VnTag,
    ETag,
    FabricPath,
    IPv4,
    IPv6,
    IPv6HopByHop,
    IPv6Routing,
    IPv6DestinationOptions,
    IPv6Fragment,
    Authentication,
    IPv6Extension,
    Udp,
    Gre,
    Erspan,
    Vxlan,
    Geneve,
    GtpU,
    Ayiya,
    Teredo,
    Tcp,
}

/// <summary>What the decoder tells as it passes each header; see <see cref="PacketDecoder"/>'s remarks.</summary>
internal interface ILayerSink
{
    /// <summary>A header of kind <paramref name="layer"/>, the next one out from the link layer.</summary>
    static abstract void Layer(Layer layer);

    /// <summary>
    /// A tunnel entered: its outer IP header at <paramref name="outerIP"/>, its UDP header at <paramref name="udp"/>
    /// (-1 when not over UDP), its identifier (VNI, GRE key, TEID, ERSPAN session; -1 when it has none).
    /// </summary>
    static abstract void Tunnel(TunnelType type, int outerIP, int udp, long id);
}

/// <summary>The per-packet sink: tells nothing, and compiles to nothing.</summary>
internal struct NoLayers : ILayerSink
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Layer(Layer layer)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tunnel(TunnelType type, int outerIP, int udp, long id)
    {
    }
}

/// <summary>
/// Records the layers and tunnels of one frame, for the description of a segment (not per packet), in lists of the
/// calling thread: <see cref="Begin"/> clears them, a decode fills them.
/// </summary>
internal struct LayerRecorder : ILayerSink
{
    [ThreadStatic]
    private static List<Layer>? t_layers;
    [ThreadStatic]
    private static List<(TunnelType Type, int OuterIP, int Udp, long Id)>? t_tunnels;

    public static List<Layer> Layers => t_layers ??= new();

    public static List<(TunnelType Type, int OuterIP, int Udp, long Id)> Tunnels => t_tunnels ??= new();

    public static void Begin()
    {
        Layers.Clear();
        Tunnels.Clear();
    }

    public static void Layer(Layer layer) => Layers.Add(layer);

    public static void Tunnel(TunnelType type, int outerIP, int udp, long id) => Tunnels.Add((type, outerIP, udp, id));
}

public static partial class PacketDecoder
{
    /// <summary>
    /// Enters a tunnel whose outer IP header is at <paramref name="outerIP"/> and whose payload ends at
    /// <paramref name="end"/>: counts it against <see cref="MaxNesting"/>, adds it to the segment's tunnel identity
    /// (with its <paramref name="id"/> when <paramref name="idIsNetwork"/>: a VNI) and bounds the inner packet by the outer one.
    /// False when the nesting is too deep.
    /// </summary>
    private static bool EnterTunnel<TSink>(ref DecodedTcp tcp, TunnelType type, ReadOnlySpan<byte> frame, int outerIP, int udp, int end, long id, bool idIsNetwork)
        where TSink : struct, ILayerSink
    {
        if (++tcp.Nesting > MaxNesting)
        {
            return false;
        }
        if (tcp.TunnelDepth++ == 0)
        {
            tcp.TunnelOffset = outerIP;
        }
        tcp.Tunnel = type;
        tcp.TunnelKey = TunnelIdentity(tcp.TunnelKey, type, frame, outerIP, idIsNetwork ? (ulong)id : 0);
        tcp.IPLength = Math.Min(end, tcp.IPLength);
        TSink.Tunnel(type, outerIP, udp, id);
        return true;
    }

    /// <summary>Enters a carrier header that holds a whole frame (802.1ah, FabricPath); false when nested too deep.</summary>
    private static bool EnterCarrier(ref DecodedTcp tcp) => ++tcp.Nesting <= MaxNesting;

    /// <summary>
    /// The identity of a tunnel chain, <paramref name="key"/> being the chain outside this tunnel: the tunnel type,
    /// its two outer addresses in either order (so both directions agree) and its network identifier. 23 bits of
    /// hash and a marker bit, so no tunnel chain is 0, the identity of a plain packet.
    /// </summary>
    private static uint TunnelIdentity(uint key, TunnelType type, ReadOnlySpan<byte> frame, int outerIP, ulong networkId)
    {
        ulong a, b;
        if (frame[outerIP] >> 4 == 4)
        {
            a = BinaryPrimitives.ReadUInt32BigEndian(frame[(outerIP + 12)..]);
            b = BinaryPrimitives.ReadUInt32BigEndian(frame[(outerIP + 16)..]);
        }
        else
        {
            a = Mix(BinaryPrimitives.ReadUInt64BigEndian(frame[(outerIP + 8)..]) ^ Mix(BinaryPrimitives.ReadUInt64BigEndian(frame[(outerIP + 16)..])));
            b = Mix(BinaryPrimitives.ReadUInt64BigEndian(frame[(outerIP + 24)..]) ^ Mix(BinaryPrimitives.ReadUInt64BigEndian(frame[(outerIP + 32)..])));
        }
        ulong h = Mix(key ^ ((ulong)type << 32)) ^ Mix(Math.Min(a, b) + 0x9E3779B97F4A7C15UL) ^ Mix(Math.Max(a, b) * 3 + networkId);
        return (uint)(Mix(h) >> 41) | 0x80_0000;
    }

    private static ulong Mix(ulong x)
    {
        // SplitMix64's finaliser.
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        return x ^ (x >> 31);
    }

    /// <summary>
    /// The payload of an IP packet whose protocol is not TCP: a tunnel (UDP-borne ones, GRE, IP in IP) or not TCP.
    /// <paramref name="ip"/> is the IP header's offset, <paramref name="offset"/> and <paramref name="length"/> the
    /// payload's.
    /// </summary>
    private static DecodeStatus DecodeIPPayload<TSink>(byte protocol, ReadOnlySpan<byte> frame, int ip, int offset, int length, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        switch (protocol)
        {
            case ProtocolUdp:
                return DecodeUdp<TSink>(frame, ip, offset, length, ref tcp);
            case ProtocolGre:
                return DecodeGre<TSink>(frame, ip, -1, offset, offset + length, ref tcp);
            case ProtocolIPv4InIP:
            case ProtocolIPv6InIP:
                if (!EnterTunnel<TSink>(ref tcp, TunnelType.IPInIP, frame, ip, -1, offset + length, -1, idIsNetwork: false))
                {
                    return DecodeStatus.NestingTooDeep;
                }
                return DecodeIP<TSink>(frame, offset, protocol == ProtocolIPv4InIP ? 4 : 6, ref tcp);
            default:
                return DecodeStatus.NotTcp;
        }
    }

    /// <summary>
    /// The payload of an Ethernet type the main switch does not take: carrier headers (PPPoE, 802.1ah, VN-Tag,
    /// E-Tag, FabricPath) and 802.3 frames with an LLC/SNAP header. Anything else is not IP.
    /// </summary>
    private static DecodeStatus DecodeCarrier<TSink>(ushort etherType, ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        switch (etherType)
        {
            case EtherTypePppoeSession:
                return DecodePppoe<TSink>(frame, offset, ref tcp);
            case EtherTypePbb:
                return DecodePbb<TSink>(frame, offset, ref tcp);
            case EtherTypeVnTag:
            case EtherTypeETag:
                return DecodeVnTag<TSink>(etherType, frame, offset, ref tcp);
            case EtherTypeFabricPath:
                return DecodeFabricPath<TSink>(frame, offset, ref tcp);
            case <= 1500:
                return DecodeLlc<TSink>(frame, offset, ref tcp);
            default:
                return DecodeStatus.NotIP;
        }
    }

    /// <summary>The payload at <paramref name="offset"/> of Ethernet type <paramref name="etherType"/>, after any VLAN tags.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static DecodeStatus DecodeTagged<TSink>(ushort etherType, ReadOnlySpan<byte> frame, int offset, ref DecodedTcp tcp)
        where TSink : struct, ILayerSink
    {
        while (etherType is EtherTypeVlan or EtherTypeQinQ or EtherTypeQinQOld)
        {
            if (frame.Length < offset + 4)
            {
                return DecodeStatus.TruncatedHeader;
            }
            TSink.Layer(etherType == EtherTypeQinQ ? Layer.ProviderVlan : Layer.Vlan);
            if (tcp.VlanId < 0)
            {
                tcp.VlanId = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]) & 0x0FFF;
            }
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
            offset += 4;
        }
        return DecodeByEtherType<TSink>(etherType, frame, offset, ref tcp);
    }

    /// <summary>
    /// The headers of a frame from its link layer to TCP, outermost first, as tshark names them in
    /// <c>frame.protocols</c> (without its "ethertype" entries): "eth:vlan:ip:udp:vxlan:eth:ip:tcp". As tshark 4.0,
    /// it names no layer for VXLAN-GPE's header or WCCP's redirect header; unlike it, it names 802.1ah after an
    /// 802.1ad tag (tshark folds it into "ieee8021ad"). Empty when the frame is not a TCP segment.
    /// </summary>
    internal static string LayerText(LinkType linkType, ReadOnlySpan<byte> frame, int wireLength)
    {
        LayerRecorder.Begin();
        if (Decode<LayerRecorder>(linkType, frame, wireLength, out _) != DecodeStatus.Tcp)
        {
            return "";
        }
        var layers = LayerRecorder.Layers;
        var names = new string[layers.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = LayerName(layers[i]);
        }
        return string.Join(':', names);
    }

    /// <summary>
    /// The tunnels a decoded segment came through, outermost first, read again from <paramref name="frame"/> (the
    /// frame <paramref name="tcp"/> was decoded from). Empty for a plain segment. Allocates: for descriptions, not
    /// for the per-packet path.
    /// </summary>
    public static TcpTunnelList Tunnels(ReadOnlySpan<byte> frame, in DecodedTcp tcp)
    {
        if (tcp.TunnelDepth == 0 || tcp.TunnelOffset >= frame.Length)
        {
            return TcpTunnelList.Empty;
        }
        LayerRecorder.Begin();
        DecodedTcp again = default;
        again.VlanId = -1;
        again.IPLength = int.MaxValue / 2; // the wire length is not known here: each IP header's own length stands
        DecodeIP<LayerRecorder>(frame, tcp.TunnelOffset, 0, ref again);
        var found = LayerRecorder.Tunnels;
        if (found.Count == 0)
        {
            return TcpTunnelList.Empty;
        }
        var tunnels = new TcpTunnel[found.Count];
        for (int i = 0; i < tunnels.Length; i++)
        {
            var (type, outerIP, udp, id) = found[i];
            tunnels[i] = TcpTunnel.Create(type, frame, outerIP, udp, id);
        }
        return new TcpTunnelList(tunnels);
    }

    internal static string LayerName(Layer layer) => layer switch
    {
        Layer.Ethernet => "eth",
        Layer.Vlan => "vlan",
        Layer.ProviderVlan => "ieee8021ad",
        Layer.Mpls => "mpls",
        Layer.Raw => "raw",
        Layer.Null => "null",
        Layer.Sll => "sll",
        Layer.Fddi => "fddi",
        Layer.Llc => "llc",
        Layer.Ppp => "ppp",
        Layer.Pppoe => "pppoes",
        Layer.CiscoHdlc => "chdlc",
        Layer.Pbb => "ieee8021ah",
        Layer.VnTag => "vntag",
        Layer.ETag => "etag",
        Layer.FabricPath => "cfp",
        Layer.IPv4 => "ip",
        Layer.IPv6 => "ipv6",
        Layer.IPv6HopByHop => "ipv6.hopopts",
        Layer.IPv6Routing => "ipv6.routing",
        Layer.IPv6DestinationOptions => "ipv6.dstopts",
        Layer.IPv6Fragment => "ipv6.fraghdr",
        Layer.Authentication => "ah",
        Layer.IPv6Extension => "ipv6.ext",
        Layer.Udp => "udp",
        Layer.Gre => "gre",
        Layer.Erspan => "erspan",
        Layer.Vxlan => "vxlan",
        Layer.Geneve => "geneve",
        Layer.GtpU => "gtp",
        Layer.Ayiya => "ayiya",
        Layer.Teredo => "teredo",
        Layer.Tcp => "tcp",
        _ => layer.ToString().ToLowerInvariant(),
    };
}
