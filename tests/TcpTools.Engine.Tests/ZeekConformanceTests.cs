using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>
/// Zeek as a peer's test suite: for every trace in ../shared/conformance/zeek, each TCP connection's conn_state and
/// history (and its packet counts, where the baseline has them) equal what Zeek wrote to its conn.log, row for row.
/// Rows are compared per 4-tuple in time order (Zeek masks the timestamps). Connections that cannot match are named
/// with the reason in tests/data/zeek/exceptions.tsv.
/// </summary>
public class ZeekConformanceTests
{
    public static IEnumerable<object[]> Traces() =>
        ZeekBaseline.Manifest().Select(m => new object[] { m.Name });

    [Theory]
    [MemberData(nameof(Traces))]
    public void ConnState_and_history_equal_Zeeks(string name)
    {
        var entry = ZeekBaseline.Manifest().Single(m => m.Name == name);
        var expected = ZeekBaseline.Read(Path.Combine(TestData.Conformance, entry.ExpectedFile), entry.Format);
        var actual = Track(Path.Combine(TestData.Conformance, entry.TraceFile), entry.ServerPorts, entry.ValidateChecksums);
        var exceptions = ZeekBaseline.Exceptions(name);
        var problems = ZeekBaseline.Compare(expected, actual, exceptions);
        Assert.True(problems.Count == 0, $"{name}:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void Validating_checksums_drops_bad_segments_as_Zeek_does_by_default()
    {
        // The same trace as localhost-bad-checksum, with Zeek's default checksum validation: the client's segments
        // (offloaded, so wrong in the capture) are dropped and only leave 'C'; the server's form their own row.
        string dir = TestData.Conformance;
        var expected = ZeekBaseline.Read(Path.Combine(dir, "localhost-bad-checksum.checksum-validated.conn.log"), "zeek-ascii-22");
        var actual = Track(Path.Combine(dir, "localhost-bad-checksum.pcap"), new ServerPorts(Array.Empty<ushort>()), validateChecksums: true);
        var problems = ZeekBaseline.Compare(expected, actual, new Dictionary<string, string>());
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Contains(actual, a => a.History == "C" && a.Packets == 0);
    }

    private static List<TcpConnectionState> Track(string trace, ServerPorts ports, bool validateChecksums)
    {
        var pump = new TcpFlowPump(new TcpTrackerOptions { TimeoutPolicy = TcpTimeoutPolicy.Zeek, ServerPorts = ports, ValidateChecksums = validateChecksums });
        return pump.Track(trace).ToList();
    }
}
