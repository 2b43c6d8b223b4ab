using System;
using System.Buffers.Binary;
using TcpTools.Engine.Decoding;

namespace TcpTools;

/// <summary>
/// One IP tunnel a TCP segment came through: its type, its outer endpoints (the outer IP header's addresses, and
/// the UDP ports for tunnels over UDP) and its identifier, as Zeek's tunnel records and tshark's layers tell them.
/// A segment's <see cref="TcpSegment.Tunnels"/> lists them outermost first.
/// </summary>
public sealed class TcpTunnel
{
    private TcpTunnel(TunnelType type, string source, string destination, int ipVersion, ushort? sourcePort, ushort? destinationPort, long? id)
    {
        Type = type;
        SourceAddress = source;
        DestinationAddress = destination;
        IPVersion = ipVersion;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
        Id = id;
    }

    internal static TcpTunnel Create(TunnelType type, ReadOnlySpan<byte> frame, int outerIP, int udp, long id)
    {
        bool v4 = frame[outerIP] >> 4 == 4;
        IPAddressValue source = v4 ? IPAddressValue.FromIPv4(frame[(outerIP + 12)..]) : IPAddressValue.FromIPv6(frame[(outerIP + 8)..]);
        IPAddressValue destination = v4 ? IPAddressValue.FromIPv4(frame[(outerIP + 16)..]) : IPAddressValue.FromIPv6(frame[(outerIP + 24)..]);
        ushort? sourcePort = udp >= 0 ? BinaryPrimitives.ReadUInt16BigEndian(frame[udp..]) : null;
        ushort? destinationPort = udp >= 0 ? BinaryPrimitives.ReadUInt16BigEndian(frame[(udp + 2)..]) : null;
        return new TcpTunnel(type, source.ToString(), destination.ToString(), v4 ? 4 : 6, sourcePort, destinationPort, id >= 0 ? id : null);
    }

    /// <summary>The kind of tunnel.</summary>
    public TunnelType Type { get; }

    /// <summary>The outer IP header's source address (the tunnel's sending end for this segment).</summary>
    public string SourceAddress { get; }

    /// <summary>The outer IP header's destination address.</summary>
    public string DestinationAddress { get; }

    /// <summary>4 or 6: the outer IP header's version.</summary>
    public int IPVersion { get; }

    /// <summary>The outer UDP source port, for tunnels over UDP (VXLAN, Geneve, GTP-U, AYIYA, Teredo, GRE in UDP); null otherwise.</summary>
    public ushort? SourcePort { get; }

    /// <summary>The outer UDP destination port, for tunnels over UDP; null otherwise.</summary>
    public ushort? DestinationPort { get; }

    /// <summary>
    /// The tunnel's identifier, where its header has one: the VNI (VXLAN, VXLAN-GPE, Geneve), the GRE key (the call
    /// id for PPTP's enhanced GRE), the TEID (GTP-U), the session id (ERSPAN II and III); null otherwise.
    /// </summary>
    public long? Id { get; }

    /// <summary>What <see cref="Id"/> is for this tunnel type: "VNI", "Key" (GRE's key, PPTP's call id), "TEID", "Session"; null when there is none.</summary>
    public string? IdName => Id is null ? null : Type switch
    {
        TunnelType.Vxlan or TunnelType.VxlanGpe or TunnelType.Geneve => "VNI",
        TunnelType.GtpU => "TEID",
        TunnelType.Erspan => "Session",
        _ => "Key",
    };

    /// <summary>The source end, address and port as text ("198.18.0.1:4789", "[fd00::1]:2152"), or the address alone.</summary>
    public string Source => SourcePort is ushort port ? EndPointText.Format(SourceAddress, port, IPVersion) : SourceAddress;

    /// <summary>The destination end, as <see cref="Source"/>.</summary>
    public string Destination => DestinationPort is ushort port ? EndPointText.Format(DestinationAddress, port, IPVersion) : DestinationAddress;

    /// <summary>"Vxlan 198.18.0.1:51000 > 198.18.0.2:4789 VNI 42".</summary>
    public override string ToString() => $"{Type} {Source} > {Destination}{(Id is long id ? $" {IdName} {id}" : "")}";
}
