using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>Reads the conformance folder's manifest and Zeek's baselines, and compares tracker output with them.</summary>
internal static class ZeekBaseline
{
    public sealed record Entry(string Name, string TraceFile, string ExpectedFile, string Format, string ZeekFlags, ServerPorts ServerPorts, bool ValidateChecksums);

    /// <summary>One expected row: the originator's endpoint, the responder's, and what Zeek logged.</summary>
    public sealed record Row(string Orig, string Resp, string? ConnState, string History, int? OrigPkts, int? RespPkts);

    /// <summary>
    /// The traces of manifest.tsv and of manifest-encapsulated.tsv (TCP inside tunnels and carrier framing: GRE,
    /// VXLAN, GTP-U, PPPoE in QinQ, 802.1ah), whose outer rows (UDP, ICMP) are ignored as every non-TCP row is.
    /// </summary>
    public static List<Entry> Manifest() =>
        Manifest("manifest.tsv").Concat(File.Exists(Path.Combine(TestData.Conformance, "manifest-encapsulated.tsv")) ? Manifest("manifest-encapsulated.tsv") : []).ToList();

    private static List<Entry> Manifest(string file)
    {
        string path = Path.Combine(TestData.Conformance, file);
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split('\t');
        int Col(string n) => Array.IndexOf(header, n);
        var ports = BarePorts();
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).Select(c =>
        {
            string flags = c[Col("zeek_flags")];
            // `zeek -b` loads only the scripts the test names, so fewer ports count as likely server ports.
            bool bare = flags.Contains(" -b ", StringComparison.Ordinal);
            return new Entry(c[Col("name")], c[Col("trace_file")], c[Col("expected_file")], c[Col("expected_format")], flags,
                bare && ports.TryGetValue(c[Col("name")], out var p) ? p : ServerPorts.Default,
                // Zeek validates checksums unless -C (or ignore_checksums_nets, which the manifest names) is given.
                !flags.Contains(" -C ", StringComparison.Ordinal) && !flags.Contains("ignore_checksums", StringComparison.Ordinal));
        }).ToList();
    }

    /// <summary>Connections named in tests/data/zeek/exceptions.tsv: 4-tuple (orig > resp) and the reason.</summary>
    public static Dictionary<string, string> Exceptions(string trace)
    {
        string path = Path.Combine(TestData.Root, "tests", "data", "zeek", "exceptions.tsv");
        var result = new Dictionary<string, string>();
        if (!File.Exists(path))
        {
            return result;
        }
        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var c = line.Split('\t');
            if (c[0] == trace)
            {
                result[c[1]] = c[2];
            }
        }
        return result;
    }

    public static List<Row> Read(string path, string format)
    {
        var lines = File.ReadAllLines(path);
        string[] header;
        IEnumerable<string> body;
        if (format.StartsWith("zeek-ascii", StringComparison.Ordinal))
        {
            header = lines.First(l => l.StartsWith("#fields", StringComparison.Ordinal)).Split('\t').Skip(1).ToArray();
            body = lines.Where(l => l.Length > 0 && !l.StartsWith('#'));
        }
        else
        {
            var data = lines.Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            header = data[0].Split('\t');
            body = data.Skip(1);
        }
        int Col(string n) => Array.IndexOf(header, n);
        var rows = new List<Row>();
        foreach (var line in body)
        {
            var c = line.Split('\t');
            string Get(string n) => Col(n) >= 0 ? c[Col(n)] : "";
            if (Col("proto") >= 0 && Get("proto") != "tcp")
            {
                continue;
            }
            string orig = Col("id.orig_h") >= 0 ? $"{Get("id.orig_h")}:{Get("id.orig_p")}" : "";
            string resp = Col("id.resp_h") >= 0 ? $"{Get("id.resp_h")}:{Get("id.resp_p")}" : "";
            int? Int(string n) => Col(n) >= 0 && int.TryParse(Get(n), out int v) ? v : null;
            string history = Get("history") == "-" ? "" : Get("history");
            rows.Add(new Row(orig, resp, Col("conn_state") >= 0 ? Get("conn_state") : null, history, Int("orig_pkts"), Int("resp_pkts")));
        }
        return rows;
    }

    /// <summary>Differences between Zeek's rows and the tracker's flows, one line each.</summary>
    public static List<string> Compare(List<Row> expected, List<TcpConnectionState> actual, Dictionary<string, string> exceptions)
    {
        var problems = new List<string>();
        if (expected.All(r => r.Orig.Length == 0))
        {
            // Baselines without ids hold one connection per trace (the rst-* files) or are compared in order.
            var ordered = actual.OrderBy(a => a.FirstSeenUnixNanoseconds).ToList();
            if (ordered.Count != expected.Count)
            {
                problems.Add($"{ordered.Count} connections, Zeek logged {expected.Count}: " + string.Join(", ", ordered.Select(a => $"{a.ConnState} {a.History}")));
                return problems;
            }
            for (int i = 0; i < expected.Count; i++)
            {
                CompareRow(expected[i], ordered[i], Endpoint(ordered[i].ClientAddress, ordered[i].ClientPort), problems, exceptions);
            }
            return problems;
        }
        var byTuple = actual.GroupBy(a => Tuple(Endpoint(a.ClientAddress, a.ClientPort), Endpoint(a.ServerAddress, a.ServerPort))).ToDictionary(g => g.Key, g => g.OrderBy(a => a.FirstSeenUnixNanoseconds).ToList());
        foreach (var group in expected.GroupBy(r => Tuple(r.Orig, r.Resp)))
        {
            var mine = byTuple.TryGetValue(group.Key, out var list) ? list : new List<TcpConnectionState>();
            byTuple.Remove(group.Key);
            var theirs = group.ToList();
            string label = $"{theirs[0].Orig} > {theirs[0].Resp}";
            if (exceptions.ContainsKey(label))
            {
                continue;
            }
            if (mine.Count != theirs.Count)
            {
                problems.Add($"{label}: {mine.Count} connections ({string.Join(", ", mine.Select(a => $"{a.ConnState} {a.History}"))}), Zeek logged {theirs.Count} ({string.Join(", ", theirs.Select(r => $"{r.ConnState} {r.History}"))})");
                continue;
            }
            for (int i = 0; i < theirs.Count; i++)
            {
                CompareRow(theirs[i], mine[i], theirs[i].Orig, problems, exceptions);
            }
        }
        foreach (var (tuple, extra) in byTuple)
        {
            problems.Add($"{tuple}: {extra.Count} connections Zeek did not log ({string.Join(", ", extra.Select(a => $"{a.ConnState} {a.History}"))})");
        }
        return problems;
    }

    private static void CompareRow(Row z, TcpConnectionState a, string origEndpoint, List<string> problems, Dictionary<string, string> exceptions)
    {
        string label = $"{z.Orig} > {z.Resp}";
        var diffs = new List<string>();
        if (z.ConnState != null && z.ConnState != a.ConnState.ToString())
        {
            diffs.Add($"conn_state {a.ConnState}, Zeek {z.ConnState}");
        }
        if (z.History != a.History)
        {
            diffs.Add($"history {a.History}, Zeek {z.History}");
        }
        if (z.OrigPkts is int op && z.RespPkts is int rp && z.Orig.Length > 0)
        {
            bool origIsClient = Endpoint(a.ClientAddress, a.ClientPort) == z.Orig;
            long mineOrig = origIsClient ? a.ClientPackets : a.ServerPackets, mineResp = origIsClient ? a.ServerPackets : a.ClientPackets;
            if (mineOrig != op || mineResp != rp)
            {
                diffs.Add($"pkts {mineOrig}/{mineResp}, Zeek {op}/{rp}");
            }
        }
        if (diffs.Count > 0)
        {
            problems.Add($"{label}: {string.Join("; ", diffs)}");
        }
    }

    /// <summary>An endpoint as Zeek's id fields read: address and port, no brackets.</summary>
    private static string Endpoint(string address, ushort port) => $"{address}:{port}";

    private static string Tuple(string a, string b) => string.CompareOrdinal(a, b) < 0 ? $"{a} {b}" : $"{b} {a}";

    /// <summary>likely_server_ports for the bare-mode (-b) runs: only the scripts each test loads add ports.</summary>
    private static Dictionary<string, ServerPorts> BarePorts()
    {
        var http = new ushort[] { 80, 81, 631, 1080, 3128, 8000, 8080, 8888 };
        var none = Array.Empty<ushort>();
        return new Dictionary<string, ServerPorts>
        {
            ["pop3-rej-sf"] = new(new ushort[] { 110 }),
            ["pop3-fin-then-rst"] = new(new ushort[] { 110 }),
            ["ftp-ipv6"] = new(new ushort[] { 21, 2811 }),
            ["missing-syn-flip"] = new(http),
            ["handshake-reorder"] = new(none),
            ["vlan-mpls"] = new(http),
            ["localhost-bad-checksum"] = new(none),
            ["concurrent-http-retrans"] = new(http),
            ["one-sided-synack"] = new(none),
            ["ctu-flip-counts"] = new(none),
            ["syn-bad-checksum"] = new(none),
            ["ssh-dups-retrans"] = new(none),
            ["teredo-mixed"] = new(http.Concat(new ushort[] { 53, 67, 68 }).ToArray()),
            ["rst-single"] = new(none),
            ["rst-syn-then-rst"] = new(none),
            ["rst-syn-ack-rst"] = new(none),
            ["rst-syn-stuff-rst"] = new(none),
        };
    }
}
