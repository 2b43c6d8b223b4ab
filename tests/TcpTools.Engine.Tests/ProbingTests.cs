using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Probing;

namespace TcpTools.Engine.Tests;

/// <summary>Target grammar, crafted packets and ICMP error matching, without a network.</summary>
public class ProbingTests
{
    [Theory]
    [InlineData("web01", "web01", "")]
    [InlineData("web01:443", "web01", "443")]
    [InlineData("10.0.0.5:22,80,8000-8002", "10.0.0.5", "22,80,8000,8001,8002")]
    [InlineData("[fd00::1]:443", "fd00::1", "443")]
    [InlineData("[fd00::1]", "fd00::1", "")]
    [InlineData("fd00::1", "fd00::1", "")]
    [InlineData("db01:-3", "db01", "1,2,3")]
    [InlineData("db01:65534-", "db01", "65534,65535")]
    public void Targets_parse_as_written(string text, string host, string ports)
    {
        Assert.True(ProbeTargets.TryParse(text, out string h, out var p, out string? error), error);
        Assert.Equal(host, h);
        Assert.Equal(ports, string.Join(",", p));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("web01:99999", "not a port")]
    [InlineData("web01:90-80", "backwards")]
    [InlineData("[fd00::1:443", "without closing")]
    [InlineData("[10.0.0.1]:80", "not an IPv6")]
    [InlineData("443", "is a number")]
    [InlineData("we b:80", "not a host")]
    [InlineData("fd00::1::2", "neither")]
    public void Malformed_targets_say_why(string text, string reason)
    {
        Assert.False(ProbeTargets.TryParse(text, out _, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("::", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("198.18.0.2", false)]
    [InlineData("fd00:198:18::2", false)]
    public void Broadcast_multicast_and_unspecified_are_refused(string address, bool refused)
    {
        Assert.Equal(refused, ProbeTargets.RefusalReason(IPAddress.Parse(address)) != null);
    }

    [Theory]
    [InlineData("198.18.0.1", "198.18.0.2")]
    [InlineData("fd00:198:18::1", "fd00:198:18::2")]
    public void Crafted_segments_decode_with_good_checksums(string source, string destination)
    {
        var spec = new TcpSegmentSpec
        {
            Source = IPAddress.Parse(source),
            Destination = IPAddress.Parse(destination),
            SourcePort = 40000,
            DestinationPort = 443,
            SequenceNumber = 0xFFFFFFF0,
            Flags = TcpFlags.Syn,
            Options = PacketBuilder.SynOptions(1460, 12345),
            Payload = new byte[] { 1, 2, 3 },
        };
        var segment = TcpSender.Build(spec);
        Assert.Equal(TcpChecksumStatus.Good, segment.ChecksumStatus);
        Assert.Equal(((ushort?)1460, (byte?)7, true, (uint?)12345), (segment.Options.MaximumSegmentSize, segment.Options.WindowScale, segment.Options.SackPermitted, segment.Options.TimestampValue));
        Assert.Equal((0xFFFFFFF0u, 3), (segment.SequenceNumber, segment.PayloadLength));
    }

    [Theory]
    [InlineData(false, 3, 3, "icmp-port-unreachable")]
    [InlineData(false, 3, 13, "icmp-admin-prohibited")]
    [InlineData(false, 11, 0, "icmp-time-exceeded")]
    [InlineData(true, 1, 4, "icmp6-port-unreachable")]
    [InlineData(true, 1, 1, "icmp6-admin-prohibited")]
    [InlineData(true, 3, 0, "icmp6-time-exceeded")]
    public void Icmp_errors_quote_the_probe(bool v6, byte type, byte code, string reason)
    {
        byte[] frame = IcmpFrame(v6, type, code, hopByHop: false);
        Assert.True(IcmpError.TryParse(LinkType.Ethernet, frame, out var e));
        Assert.Equal(reason, e.Reason);
        Assert.Equal((IPAddress.Parse(v6 ? "fd00:198:18::9" : "198.18.0.9"), IPAddress.Parse(v6 ? "fd00:198:18::1" : "198.18.0.1"), IPAddress.Parse(v6 ? "fd00:198:18::2" : "198.18.0.2")),
            (e.Sender, e.InnerSource, e.InnerDestination));
        Assert.Equal(((ushort)40000, (ushort)443, 0xDEADBEEFu), (e.InnerSourcePort, e.InnerDestinationPort, e.InnerSequence));
    }

    [Fact]
    public void Icmpv6_errors_after_an_extension_header_are_recognised()
    {
        Assert.True(IcmpError.TryParse(LinkType.Ethernet, IcmpFrame(true, 1, 4, hopByHop: true), out var e));
        Assert.Equal("icmp6-port-unreachable", e.Reason);
        Assert.Equal(0xDEADBEEFu, e.InnerSequence);
    }

    /// <summary>An ICMP(v6) error from .9 to .1 quoting the SYN .1:40000 > .2:443 seq DEADBEEF.</summary>
    private static byte[] IcmpFrame(bool v6, byte type, byte code, bool hopByHop)
    {
        string a(string last) => v6 ? "fd00:198:18::" + last : "198.18.0." + last;
        byte[] syn = Bytes.Tcp(40000, 443, 0xDEADBEEF, 0, TcpFlags.Syn, 64240);
        byte[] quoted = v6 ? Bytes.IPv6(IPAddress.Parse(a("1")).GetAddressBytes(), IPAddress.Parse(a("2")).GetAddressBytes(), 6, syn)
            : Bytes.IPv4(IPAddress.Parse(a("1")).GetAddressBytes(), IPAddress.Parse(a("2")).GetAddressBytes(), 6, syn);
        byte[] icmp = Bytes.Concat(new byte[] { type, code, 0, 0, 0, 0, 0, 0 }, quoted);
        byte[] ip;
        if (v6)
        {
            byte[] payload = hopByHop ? Bytes.Concat(new byte[] { 58, 0, 1, 4, 0, 0, 0, 0 }, icmp) : icmp;
            ip = Bytes.IPv6(IPAddress.Parse(a("9")).GetAddressBytes(), IPAddress.Parse(a("1")).GetAddressBytes(), hopByHop ? (byte)0 : (byte)58, payload, fillTcpChecksum: false);
        }
        else
        {
            ip = Bytes.IPv4(IPAddress.Parse(a("9")).GetAddressBytes(), IPAddress.Parse(a("1")).GetAddressBytes(), 1, icmp);
        }
        return Bytes.Ethernet(v6 ? (ushort)0x86DD : (ushort)0x0800, ip);
    }
}
