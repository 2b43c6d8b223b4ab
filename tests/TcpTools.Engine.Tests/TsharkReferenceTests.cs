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
        string capture = Directory.GetFiles(TestData.Captures, name + ".pcap*").Single();
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
        Eq(int.Parse(t["frame.len"], CultureInfo.InvariantCulture), s.FrameLength, "frame.len");
        Eq(int.Parse(t["frame.cap_len"], CultureInfo.InvariantCulture), s.CapturedLength, "frame.cap_len");
        if (t["frame.interface_id"].Length > 0)
        {
            Eq(int.Parse(t["frame.interface_id"], CultureInfo.InvariantCulture), s.InterfaceId, "frame.interface_id");
        }
        bool v4 = t["ip.src"].Length > 0;
        Eq(v4 ? 4 : 6, s.IPVersion, "ip version");
        Eq(v4 ? t["ip.src"] : t["ipv6.src"], s.SourceAddress.ToString(), "src");
        Eq(v4 ? t["ip.dst"] : t["ipv6.dst"], s.DestinationAddress.ToString(), "dst");
        Eq(t["tcp.srcport"], s.SourcePort.ToString(CultureInfo.InvariantCulture), "tcp.srcport");
        Eq(t["tcp.dstport"], s.DestinationPort.ToString(CultureInfo.InvariantCulture), "tcp.dstport");
        Eq(v4 ? t["ip.ttl"] : t["ipv6.hlim"], s.Ttl.ToString(CultureInfo.InvariantCulture), "ttl/hlim");
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
        Eq(t["vlan.id"], s.VlanId?.ToString(CultureInfo.InvariantCulture) ?? "", "vlan.id");
    }

    private static long EpochNanoseconds(string text)
    {
        var parts = text.Split('.');
        string frac = (parts.Length > 1 ? parts[1] : "").PadRight(9, '0')[..9];
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1_000_000_000L + long.Parse(frac, CultureInfo.InvariantCulture);
    }
}
