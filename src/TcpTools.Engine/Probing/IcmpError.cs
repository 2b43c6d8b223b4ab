using System;
using System.Buffers.Binary;
using System.Net;
using TcpTools.Engine.Capture;

namespace TcpTools.Engine.Probing;

/// <summary>An ICMP or ICMPv6 error that quotes a TCP segment: who sent it, why, and the quoted addresses, ports and sequence number.</summary>
internal readonly record struct IcmpError(IPAddress Sender, string? Reason, IPAddress InnerSource, IPAddress InnerDestination, ushort InnerSourcePort, ushort InnerDestinationPort, uint InnerSequence, byte OuterTtl = 0)
{
    public static bool TryParse(LinkType linkType, ReadOnlySpan<byte> frame, out IcmpError error)
    {
        error = default;
        if (!TryFindIP(linkType, frame, out int ip) || frame.Length < ip + 20)
        {
            return false;
        }
        var p = frame[ip..];
        int version = p[0] >> 4;
        if (version == 4)
        {
            int ihl = (p[0] & 0xF) * 4;
            if (p[9] != 1 || p.Length < ihl + 8 + 20 + 8)
            {
                return false;
            }
            var icmp = p[ihl..];
            string? reason = (icmp[0], icmp[1]) switch
            {
                (3, 0) => "icmp-net-unreachable",
                (3, 1) => "icmp-host-unreachable",
                (3, 2) => "icmp-protocol-unreachable",
                (3, 3) => "icmp-port-unreachable",
                (3, 9) => "icmp-net-prohibited",
                (3, 10) => "icmp-host-prohibited",
                (3, 13) => "icmp-admin-prohibited",
                (11, _) => "icmp-time-exceeded",
                _ => null,
            };
            var inner = icmp[8..];
            int innerIhl = (inner[0] & 0xF) * 4;
            if (inner[0] >> 4 != 4 || inner[9] != 6 || inner.Length < innerIhl + 8)
            {
                return false;
            }
            var tcp = inner[innerIhl..];
            error = new IcmpError(new IPAddress(p.Slice(12, 4)), reason, new IPAddress(inner.Slice(12, 4)), new IPAddress(inner.Slice(16, 4)),
                BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), p[8]);
            return true;
        }
        if (version == 6 && p.Length >= 40 + 8 + 40 + 8)
        {
            // Skip extension headers (hop-by-hop, routing, destination options, fragment) up to ICMPv6.
            int next = p[6], offset = 40;
            while (next is 0 or 43 or 60 or 44 && p.Length >= offset + 8)
            {
                int length = next == 44 ? 8 : (p[offset + 1] + 1) * 8;
                next = p[offset];
                offset += length;
            }
            if (next != 58 || p.Length < offset + 8 + 40 + 8)
            {
                return false;
            }
            var icmp = p[offset..];
            string? reason = (icmp[0], icmp[1]) switch
            {
                (1, 0) => "icmp6-no-route",
                (1, 1) => "icmp6-admin-prohibited",
                (1, 2) => "icmp6-beyond-scope",
                (1, 3) => "icmp6-address-unreachable",
                (1, 4) => "icmp6-port-unreachable",
                (1, 5) => "icmp6-source-policy-failed",
                (1, 6) => "icmp6-reject-route",
                (3, _) => "icmp6-time-exceeded",
                _ => null,
            };
            if (reason is null)
            {
                return false;
            }
            var inner = icmp[8..];
            if (inner[0] >> 4 != 6 || inner[6] != 6)
            {
                return false;
            }
            var tcp = inner[40..];
            error = new IcmpError(new IPAddress(p.Slice(8, 16)), reason, new IPAddress(inner.Slice(8, 16)), new IPAddress(inner.Slice(24, 16)),
                BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), p[7]);
            return true;
        }
        return false;
    }

    private static bool TryFindIP(LinkType linkType, ReadOnlySpan<byte> f, out int offset)
    {
        offset = 0;
        switch (linkType)
        {
            case LinkType.Ethernet:
                offset = 12;
                while (f.Length >= offset + 2 && BinaryPrimitives.ReadUInt16BigEndian(f[offset..]) is 0x8100 or 0x88A8)
                {
                    offset += 4;
                }
                if (f.Length < offset + 2 || BinaryPrimitives.ReadUInt16BigEndian(f[offset..]) is not (0x0800 or 0x86DD))
                {
                    return false;
                }
                offset += 2;
                return true;
            case LinkType.LinuxSll:
                offset = 16;
                return f.Length > 16;
            case LinkType.LinuxSll2:
                offset = 20;
                return f.Length > 20;
            case LinkType.Null:
            case LinkType.Loop:
                offset = 4;
                return f.Length > 4;
            case LinkType.Raw:
            case LinkType.RawBsd:
            case LinkType.RawOpenBsd:
            case LinkType.IPv4:
            case LinkType.IPv6:
                return f.Length > 0;
            default:
                return false;
        }
    }
}
