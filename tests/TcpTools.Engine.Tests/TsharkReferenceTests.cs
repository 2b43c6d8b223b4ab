using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TcpTools.Engine.Capture;

namespace TcpTools.Engine.Tests;

/// <summary>
/// Every segment of every reference capture (real traffic recorded in namespaces, tests/data/captures) decodes
/// to exactly what tshark read from it, field by field. tshark's output is committed beside each capture.
/// </summary>
public class TsharkReferenceTests
{
    public static IEnumerable<object[]> Captures() =>
        Directory.GetFiles(TestData.Captures, "*.tshark.tsv").Select(f => new object[] { Path.GetFileName(f).Replace(".tshark.tsv", "", StringComparison.Ordinal) }).OrderBy(o => (string)o[0]);

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_field_equals_tshark(string name)
    {
        // The capture beside its reading, or a sample of the same name (samples/fragmented.pcap).
        string capture = Directory.GetFiles(TestData.Captures, name + ".pcap*")
            .Concat(Directory.GetFiles(Path.Combine(TestData.Root, "samples"), name + ".pcap*")).Single();
        var expected = TestData.ReadTsharkFields(Path.Combine(TestData.Captures, name + ".tshark.tsv"));
        var actual = new List<TcpSegment>();
        using (var reader = CaptureFileSegmentReader.Open(capture, null))
        {
            while (reader.TryReadNext(out TcpSegment? s))
            {
                actual.Add(s);
            }
        }
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Compare(expected[i], actual[i], $"{name} frame {expected[i]["frame.number"]}");
        }
    }

    private static void Compare(Dictionary<string, string> t, TcpSegment s, string where)
    {
        void Eq<T>(T expected, T actual, string field)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new Xunit.Sdk.XunitException($"{where}: {field} is {actual}, tshark says {expected}");
            }
        }

        Eq(long.Parse(t["frame.number"], CultureInfo.InvariantCulture), s.FrameNumber, "frame.number");
        Eq(EpochNanoseconds(t["frame.time_epoch"]), s.UnixTimeNanoseconds, "frame.time_epoch");
        // A segment reassembled from IP fragments: the frames tshark reassembled it from, in offset order; its frame
        // is the reassembled one (tshark's frame.len is the last fragment's frame).
        string fragments = string.Join(",", new[] { "ip.fragment", "ipv6.fragment" }.Select(f => t.GetValueOrDefault(f, "")).Where(v => v.Length > 0));
        Eq(fragments, string.Join(",", s.FragmentFrames), "ip.fragment/ipv6.fragment");
        if (fragments.Length == 0)
        {
            Eq(int.Parse(t["frame.len"], CultureInfo.InvariantCulture), s.FrameLength, "frame.len");
            Eq(int.Parse(t["frame.cap_len"], CultureInfo.InvariantCulture), s.CapturedLength, "frame.cap_len");
        }
        if (t["frame.interface_id"].Length > 0)
        {
            Eq(int.Parse(t["frame.interface_id"], CultureInfo.InvariantCulture), s.InterfaceId, "frame.interface_id");
        }
        // Inside tunnels tshark lists every IP header's fields, outermost first: the segment's are the last ones, of
        // the IP version that comes last before "tcp" in frame.protocols (where the capture's reading has it).
        string[] protocols = t.TryGetValue("frame.protocols", out string? list) ? list.Split(':') : Array.Empty<string>();
        int tcpAt = Array.IndexOf(protocols, "tcp");
        bool v4 = tcpAt > 0 ? protocols[tcpAt - 1] == "ip" || Array.LastIndexOf(protocols, "ip", tcpAt) > Array.LastIndexOf(protocols, "ipv6", tcpAt) : t["ip.src"].Length > 0;
        static string Last(string v) => v[(v.LastIndexOf(',') + 1)..];
        static string First(string v) => v.Split(',')[0];
        Eq(v4 ? 4 : 6, s.IPVersion, "ip version");
        Eq(Last(v4 ? t["ip.src"] : t["ipv6.src"]), s.SourceAddress.ToString(), "src");
        Eq(Last(v4 ? t["ip.dst"] : t["ipv6.dst"]), s.DestinationAddress.ToString(), "dst");
        Eq(t["tcp.srcport"], s.SourcePort.ToString(CultureInfo.InvariantCulture), "tcp.srcport");
        Eq(t["tcp.dstport"], s.DestinationPort.ToString(CultureInfo.InvariantCulture), "tcp.dstport");
        Eq(Last(v4 ? t["ip.ttl"] : t["ipv6.hlim"]), s.Ttl.ToString(CultureInfo.InvariantCulture), "ttl/hlim");
        int flags = Convert.ToInt32(t["tcp.flags"], 16);
        Eq(flags & 0xFF, (int)s.Flags, "tcp.flags");
        Eq(t["tcp.seq_raw"], s.SequenceNumber.ToString(CultureInfo.InvariantCulture), "tcp.seq_raw");
        Eq(t["tcp.ack_raw"], s.AcknowledgmentNumber.ToString(CultureInfo.InvariantCulture), "tcp.ack_raw");
        Eq(t["tcp.window_size_value"], s.Window.ToString(CultureInfo.InvariantCulture), "tcp.window_size_value");
        Eq(t["tcp.hdr_len"], s.HeaderLength.ToString(CultureInfo.InvariantCulture), "tcp.hdr_len");
        Eq(t["tcp.len"], s.PayloadLength.ToString(CultureInfo.InvariantCulture), "tcp.len");
        Eq(t["tcp.options.mss_val"], s.Options.MaximumSegmentSize?.ToString(CultureInfo.InvariantCulture) ?? "", "mss");
        Eq(t["tcp.options.wscale.shift"], s.Options.WindowScale?.ToString(CultureInfo.InvariantCulture) ?? "", "wscale");
        Eq(t["tcp.option_kind"], string.Join(",", s.Options.Kinds.Select(k => ((byte)k).ToString(CultureInfo.InvariantCulture))), "tcp.option_kind");
        Eq(t["tcp.options.sack_le"], string.Join(",", s.Options.SackBlocks.Select(b => b.Left)), "sack_le");
        Eq(t["tcp.options.sack_re"], string.Join(",", s.Options.SackBlocks.Select(b => b.Right)), "sack_re");
        Eq(t["tcp.options.timestamp.tsval"], s.Options.TimestampValue?.ToString(CultureInfo.InvariantCulture) ?? "", "tsval");
        Eq(t["tcp.options.timestamp.tsecr"], s.Options.TimestampEchoReply?.ToString(CultureInfo.InvariantCulture) ?? "", "tsecr");
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
        var checksum = t["tcp.checksum.status"] switch
        {
            "0" => TcpChecksumStatus.Bad,
            "1" => TcpChecksumStatus.Good,
            _ => TcpChecksumStatus.Unverified,
        };
        Eq(checksum, s.ChecksumStatus, "tcp.checksum.status");
        // VlanId is the outermost tag's, which tshark gives as ieee8021ad.id when that tag is 802.1ad's (0x88A8).
        bool providerTagFirst = protocols.FirstOrDefault(p => p is "vlan" or "ieee8021ad") == "ieee8021ad";
        Eq(First(providerTagFirst ? t["ieee8021ad.id"] : t["vlan.id"]), s.VlanId?.ToString(CultureInfo.InvariantCulture) ?? "", "vlan.id");
        if (protocols.Length > 0)
        {
            CompareLayers(t, protocols[..(tcpAt + 1)], s, Eq);
        }
    }

    /// <summary>
    /// The segment's layer list and tunnel chain against tshark's: the layers as frame.protocols names them (its
    /// "ethertype" entries aside); the tunnels' types as those layers imply them; each IPv4 and IPv6 tunnel's outer
    /// addresses in the order tshark lists ip.src/ip.dst (the segment's own last); the tunnels' identifiers (VNI,
    /// GRE key or PPTP call id, TEID, ERSPAN session) as tshark's fields give them.
    /// </summary>
    private static void CompareLayers(Dictionary<string, string> t, string[] protocols, TcpSegment s, Action<string, string, string> eq)
    {
        var expected = protocols.Where(p => p != "ethertype").ToList();
        var actual = s.Layers.Split(':').ToList();
        // tshark 4.0 folds 802.1ah into the 802.1ad tag before it; TcpTools names it (about it: PacketDecoder.LayerText).
        for (int i = actual.Count - 1; i > 0; i--)
        {
            if (actual[i] == "ieee8021ah" && actual[i - 1] == "ieee8021ad")
            {
                actual.RemoveAt(i);
            }
        }
        eq(string.Join(':', expected), string.Join(':', actual), "layers");

        var types = new List<TunnelType>();
        for (int i = 0; i < expected.Count; i++)
        {
            string p = expected[i], next = i + 1 < expected.Count ? expected[i + 1] : "";
            bool ip = p is "ip" or "ipv6", nextIP = next is "ip" or "ipv6";
            if (p == "gre")
            {
                types.Add(next == "erspan" ? TunnelType.Erspan : TunnelType.Gre);
            }
            else if (ip && nextIP)
            {
                types.Add(TunnelType.IPInIP);
            }
            else if (p == "udp" && nextIP)
            {
                types.Add(TunnelType.VxlanGpe); // the one UDP tunnel tshark names no layer for
            }
            else if (p is "vxlan" or "geneve" or "gtp" or "ayiya" or "teredo")
            {
                types.Add(p switch { "vxlan" => TunnelType.Vxlan, "geneve" => TunnelType.Geneve, "gtp" => TunnelType.GtpU, "ayiya" => TunnelType.Ayiya, _ => TunnelType.Teredo });
            }
        }
        eq(string.Join(",", types), string.Join(",", s.Tunnels.Select(x => x.Type)), "tunnel types");
        eq(s.Tunnels.Count == 0 ? TunnelType.None.ToString() : types[^1].ToString(), s.Tunnel.ToString(), "innermost tunnel");

        string Addresses(int version, bool source) =>
            string.Join(",", s.Tunnels.Where(x => x.IPVersion == version).Select(x => source ? x.SourceAddress : x.DestinationAddress)
                .Concat(s.IPVersion == version ? new[] { source ? s.SourceAddress : s.DestinationAddress } : Array.Empty<string>()));
        eq(t["ip.src"], Addresses(4, true), "ip.src (outer ones first)");
        eq(t["ip.dst"], Addresses(4, false), "ip.dst (outer ones first)");
        eq(t["ipv6.src"], Addresses(6, true), "ipv6.src (outer ones first)");
        eq(t["ipv6.dst"], Addresses(6, false), "ipv6.dst (outer ones first)");

        static long Number(string v) => v.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToInt64(v[2..], 16) : long.Parse(v, CultureInfo.InvariantCulture);
        var ids = new List<long>();
        foreach (string field in new[] { "gre.key", "gre.key.call_id", "vxlan.vni", "geneve.vni", "gtp.teid", "erspan.spanid" })
        {
            if (t.TryGetValue(field, out string? v) && v.Length > 0)
            {
                ids.AddRange(v.Split(',').Select(Number));
            }
        }
        ids.Sort();
        eq(string.Join(",", ids), string.Join(",", s.Tunnels.Where(x => x.Id is not null).Select(x => x.Id!.Value).Order()), "tunnel ids");
    }

    private static long EpochNanoseconds(string text)
    {
        var parts = text.Split('.');
        string frac = (parts.Length > 1 ? parts[1] : "").PadRight(9, '0')[..9];
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1_000_000_000L + long.Parse(frac, CultureInfo.InvariantCulture);
    }
}
