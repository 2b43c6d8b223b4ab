using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>
/// The tracker's per-direction retransmission, out-of-order, duplicate-ACK and zero-window counts equal the number
/// of segments tshark 4.0 flags tcp.analysis.retransmission, .out_of_order, .duplicate_ack and .zero_window, for
/// every reference capture and every Zeek trace (tshark's reading is in tests/data/analysis). Directions that differ
/// by design are named, with the reason, in tests/data/analysis/exceptions.tsv. A direction shows the AckOfUnseenData
/// and ZeroWindowProbe anomalies exactly when tshark flags a segment of it tcp.analysis.ack_lost_segment and
/// .zero_window_probe (counts differ by design: Wireshark goes on flagging the ACKs that follow a gap, see
/// about_TcpStates).
/// </summary>
public class WiresharkAnalysisTests
{
    public static IEnumerable<object[]> References() =>
        Directory.GetFiles(Path.Combine(TestData.Root, "tests", "data", "analysis"), "*.analysis.tsv")
            .Select(f => new object[] { Path.GetFileName(f)[..^".analysis.tsv".Length] }).OrderBy(o => (string)o[0]);

    [Theory]
    [MemberData(nameof(References))]
    public void Counts_equal_tsharks_flags(string name)
    {
        string capture = name.StartsWith("zeek-", StringComparison.Ordinal)
            ? Directory.GetFiles(TestData.Conformance, name["zeek-".Length..] + ".pcap*").Single()
            : Directory.GetFiles(TestData.Captures, name + ".pcap*").Single();
        var expected = new Dictionary<string, long[]>();
        foreach (var row in TestData.ReadTsharkFields(Path.Combine(TestData.Root, "tests", "data", "analysis", name + ".analysis.tsv")))
        {
            string src = row["ip.src"].Length > 0 ? row["ip.src"] : row["ipv6.src"];
            string dst = row["ip.dst"].Length > 0 ? row["ip.dst"] : row["ipv6.dst"];
            var counts = Counts(expected, $"{src}:{row["tcp.srcport"]}>{dst}:{row["tcp.dstport"]}");
            counts[0] += row["tcp.analysis.retransmission"].Length > 0 ? 1 : 0;
            counts[1] += row["tcp.analysis.out_of_order"].Length > 0 ? 1 : 0;
            counts[2] += row["tcp.analysis.duplicate_ack"].Length > 0 ? 1 : 0;
            counts[3] += row["tcp.analysis.zero_window"].Length > 0 ? 1 : 0;
            counts[4] = Math.Max(counts[4], row["tcp.analysis.ack_lost_segment"].Length > 0 ? 1 : 0);
            counts[5] = Math.Max(counts[5], row["tcp.analysis.zero_window_probe"].Length > 0 ? 1 : 0);
        }
        var actual = new Dictionary<string, long[]>();
        foreach (var flow in Track(capture))
        {
            string c = $"{flow.ClientAddress}:{flow.ClientPort}", s = $"{flow.ServerAddress}:{flow.ServerPort}";
            Add(Counts(actual, $"{c}>{s}"), flow.ClientRetransmissions, flow.ClientOutOfOrder, flow.ClientDuplicateAcks, flow.ClientZeroWindows, flow.ClientAnomalies);
            Add(Counts(actual, $"{s}>{c}"), flow.ServerRetransmissions, flow.ServerOutOfOrder, flow.ServerDuplicateAcks, flow.ServerZeroWindows, flow.ServerAnomalies);
        }
        var problems = new List<string>();
        var exceptions = File.ReadAllLines(Path.Combine(TestData.Root, "tests", "data", "analysis", "exceptions.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t')).Where(c => c[0] == name).Select(c => c[1]).ToHashSet();
        foreach (var (direction, want) in expected)
        {
            if (exceptions.Contains(direction))
            {
                continue;
            }
            var got = actual.TryGetValue(direction, out var g) ? g : new long[Columns];
            if (!want.SequenceEqual(got))
            {
                problems.Add($"{direction}: retrans/ooo/dupack/zerowin/any-ack-lost/any-zero-window-probe {string.Join("/", got)}, tshark {string.Join("/", want)}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(expected.Count > 0);
    }

    // Four counts, then two yes/no columns.
    private const int Columns = 6;

    private static long[] Counts(Dictionary<string, long[]> d, string key) => d.TryGetValue(key, out var c) ? c : d[key] = new long[Columns];

    private static void Add(long[] c, long retrans, long ooo, long dup, long zero, TcpAnomaly anomalies)
    {
        c[0] += retrans;
        c[1] += ooo;
        c[2] += dup;
        c[3] += zero;
        c[4] = Math.Max(c[4], (anomalies & TcpAnomaly.AckOfUnseenData) != 0 ? 1 : 0);
        c[5] = Math.Max(c[5], (anomalies & TcpAnomaly.ZeroWindowProbe) != 0 ? 1 : 0);
    }

    private static List<TcpConnectionState> Track(string capture)
    {
        return new TcpFlowPump().Track(capture).ToList();
    }
}
