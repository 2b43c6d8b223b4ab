using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace TcpTools.PowerShell.Tests;

/// <summary>Get-TcpFlow through PowerShell: files, piped segments, parameters, errors and warnings.</summary>
public class GetTcpFlowTests
{
    private static readonly string States = Repo.Sample("tcp-states.pcap");

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void Each_connection_of_the_sample_is_one_object_with_the_states_ss_showed()
    {
        var run = PowerShellRun.Invoke("""
            [pscustomobject]@{ Receipt = @(Get-TcpFlow -Path $p); Answer = @(Get-TcpFlow -Path $p -StateEvidence Answer) }
            """, variables: Vars(("p", States))).AssertNoErrors();
        var o = Assert.Single(run.Output);
        TcpConnectionState[] Flows(string name) => ((object[])o.Properties[name].Value).Select(x => (TcpConnectionState)((PSObject)x).BaseObject).ToArray();
        // samples/tcp-states.pcap is a capture of the namespace state test: ss showed these states at its end.
        var ss = new Dictionary<int, (TcpState, TcpState)>
        {
            [5001] = (TcpState.Established, TcpState.Established),
            [5002] = (TcpState.FinWait1, TcpState.Established),
            [5003] = (TcpState.FinWait2, TcpState.CloseWait),
            [5004] = (TcpState.FinWait2, TcpState.LastAck),
            [5005] = (TcpState.TimeWait, TcpState.Closed),
            [5006] = (TcpState.Closed, TcpState.TimeWait),
            [5007] = (TcpState.SynSent, TcpState.Closed),
            [5008] = (TcpState.SynSent, TcpState.SynReceived),
            [5009] = (TcpState.Closed, TcpState.Closed),
            [5010] = (TcpState.Closed, TcpState.Closed),
        };
        // Ports 5002, 5004 and 5008 lose a segment after the capture point (the receiver's firewall): only the
        // answer reading matches ss there; on receipt the capture takes the segment as delivered, as the namespace
        // test that made this capture reads it.
        var receipt = new Dictionary<int, (TcpState, TcpState)>(ss);
        foreach (var (scenario, reading) in FlowStateNamespaceTests.ReceiptReadingOfLossAfterCapture)
        {
            receipt[(int)scenario] = reading;
        }
        foreach (var (name, expected) in new[] { ("Receipt", receipt), ("Answer", ss) })
        {
            var flows = Flows(name);
            Assert.Equal(expected.Count, flows.Length);
            Assert.Equal(expected.OrderBy(e => e.Key).Select(e => (name, e.Key, e.Value)),
                flows.OrderBy(f => f.ServerPort).Select(f => (name, (int)f.ServerPort, (f.ClientState, f.ServerState))));
        }
    }

    [Fact]
    public void ServerPort_and_ValidateChecksum_reproduce_a_bare_Zeek_run()
    {
        string zeek = Path.Combine(Repo.Root, "..", "shared", "conformance", "zeek");
        var run = PowerShellRun.Invoke("""
            $r = Get-TcpFlow -Path $reorder -TimeoutPolicy Zeek
            $bare = Get-TcpFlow -Path $reorder -TimeoutPolicy Zeek -ServerPort @()
            $plain = Get-TcpFlow -Path $bad -TimeoutPolicy Zeek
            $checked = Get-TcpFlow -Path $bad -TimeoutPolicy Zeek -ServerPort @() -ValidateChecksum -Verbose
            $r.History, $bare.History, "$($plain.ConnState) $($plain.History) $($plain.Packets)", "$($checked.ConnState) $($checked.History) $($checked.Packets)"
            """, variables: Vars(("reorder", Path.Combine(zeek, "handshake-reorder.pcap")), ("bad", Path.Combine(zeek, "syn-bad-checksum.pcap")))).AssertNoErrors();
        // Zeek's baselines (zeek -b): Hs^ADadFf for the reordered handshake; C and OTH, no packets, for the bad SYN.
        Assert.Equal(new[] { "^hSADadFf", "Hs^ADadFf", "S0 S 1", "OTH C 0" }, run.Output.Select(o => o.ToString()));
        Assert.Contains(run.Verbose, v => v.Contains("1 dropped for a bad TCP checksum"));
    }

    [Theory]
    [InlineData("Get-TcpFlow -Path $states, $session -Verbose", "Reading the files in the time order of their first frames")]
    [InlineData("Get-TcpSegment -Path $states, $session | Get-TcpFlow", "segments were earlier than segments before them")]
    public void Input_newest_first_keeps_its_connections_whole(string both, string notice)
    {
        // tcp-states.pcap was captured two days after tcp-session.pcap. Files are reordered by their first frames;
        // piped segments cannot be, so the older ones are late, and their flows' timers run from the tracker's clock.
        var run = PowerShellRun.Invoke($$"""
            $alone = Get-TcpFlow -Path $session
            $both = {{both}}
            foreach ($f in $alone) { $same = @($both | Where-Object Id -eq $f.Id); "$($same.Count) $($same[0].ConnState) $($same[0].History) $($same[0].Packets) $($f.ConnState) $($f.History) $($f.Packets)" }
            @($both).Count
            """, variables: Vars(("session", Repo.Sample("tcp-session.pcap")), ("states", States))).AssertNoErrors();
        var lines = run.Output.Select(o => o.ToString()).ToList();
        Assert.Equal("12", lines[^1]); // two connections of tcp-session, ten of tcp-states
        Assert.Equal(3, lines.Count);
        Assert.All(lines.Take(lines.Count - 1), l =>
        {
            string[] w = l.Split(' ');
            Assert.Equal("1", w[0]);
            Assert.Equal(w[1..4], w[4..7]);
        });
        Assert.Contains(run.Verbose.Concat(run.Warnings), m => m.Contains(notice));
    }

    [Fact]
    public void A_file_that_overlaps_the_one_before_it_is_named()
    {
        var twice = PowerShellRun.Invoke("$null = Get-TcpFlow -Path $p, $p", variables: Vars(("p", Repo.Sample("tcp-session.pcap")))).AssertNoErrors();
        Assert.Contains(twice.Warnings, w => w.StartsWith($"'{Repo.Sample("tcp-session.pcap")}' overlaps the capture before it") && w.Contains("mergecap"));
        var apart = PowerShellRun.Invoke("$null = Get-TcpFlow -Path $b, $a", variables: Vars(("a", Repo.Sample("tcp-session.pcap")), ("b", States))).AssertNoErrors();
        Assert.Empty(apart.Warnings);
    }

    [Fact]
    public void Where_State_eq_TimeWait_selects_exactly_the_connections_with_an_endpoint_in_TIME_WAIT()
    {
        var run = PowerShellRun.Invoke("Get-TcpFlow -Path $p | Where-Object State -eq TimeWait", variables: Vars(("p", States))).AssertNoErrors();
        // 5004: the client took the server's FIN on receipt (its firewall dropped it after the capture point).
        Assert.Equal(new[] { 5004, 5005, 5006 }, run.Objects<TcpConnectionState>().Select(f => (int)f.ServerPort).OrderBy(p => p));
    }

    [Fact]
    public void Piped_segments_give_the_same_flows_as_the_file()
    {
        var run = PowerShellRun.Invoke("""
            $a = @(Get-TcpFlow -Path $p)
            $b = @(Get-TcpSegment -Path $p | Get-TcpFlow)
            $c = @(Get-TcpSegment -Path $p -Filter 'port 5003' | Get-TcpFlow)
            [pscustomobject]@{ A = $a; B = $b; C = $c }
            """, variables: Vars(("p", States))).AssertNoErrors();
        var o = Assert.Single(run.Output);
        TcpConnectionState[] Flows(string name) => ((object[])o.Properties[name].Value).Select(x => (TcpConnectionState)((PSObject)x).BaseObject).ToArray();
        var (a, b, c) = (Flows("A"), Flows("B"), Flows("C"));
        Assert.Equal(a.Select(f => (f.Id, f.ClientState, f.ServerState, f.History, f.ClientPackets, f.ServerBytes)),
            b.Select(f => (f.Id, f.ClientState, f.ServerState, f.History, f.ClientPackets, f.ServerBytes)));
        var only = Assert.Single(c);
        Assert.Equal((5003, TcpState.FinWait2, TcpState.CloseWait), ((int)only.ServerPort, only.ClientState, only.ServerState));
    }

    [Fact]
    public void Msl_sets_when_TIME_WAIT_ends()
    {
        var run = PowerShellRun.Invoke("Get-TcpFlow -Path $p -Msl 0.5 | Where-Object { $_.ServerPort -eq 5005 }", variables: Vars(("p", States))).AssertNoErrors();
        var f = Assert.Single(run.Objects<TcpConnectionState>());
        Assert.Equal(TimeSpan.FromSeconds(1), f.TimeWaitEnds - f.LastSeen);
    }

    [Theory]
    [InlineData("-Msl 0")]
    [InlineData("-Msl -5")]
    [InlineData("-MaxFlows 0")]
    [InlineData("-TimeoutPolicy Never")]
    public void Bad_parameter_values_are_refused_before_anything_is_read(string parameters)
    {
        var run = PowerShellRun.Invoke($"Get-TcpFlow -Path $p {parameters}; 'next statement runs'", variables: Vars(("p", States)));
        var e = Assert.Single(run.Errors);
        Assert.IsAssignableFrom<ParameterBindingException>(e.Exception);
        Assert.Equal("next statement runs", Assert.Single(run.Output).BaseObject);
    }

    [Fact]
    public void A_bad_file_is_a_non_terminating_error_and_the_next_file_still_runs()
    {
        string missing = Path.Combine(Path.GetTempPath(), "tt-no-such-" + Guid.NewGuid().ToString("N") + ".pcap");
        var run = PowerShellRun.Invoke("Get-TcpFlow -Path $m, $p", variables: Vars(("m", missing), ("p", States)));
        Assert.Null(run.Terminating);
        var e = Assert.Single(run.Errors);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal(missing, e.TargetObject);
        Assert.StartsWith("PathNotFound", e.FullyQualifiedErrorId);
        Assert.Equal(10, run.Objects<TcpConnectionState>().Count);
    }

    [Fact]
    public void A_full_flow_table_evicts_and_warns()
    {
        var run = PowerShellRun.Invoke("Get-TcpFlow -Path $p -MaxFlows 3", variables: Vars(("p", States))).AssertNoErrors();
        var flows = run.Objects<TcpConnectionState>();
        // Nothing is lost: evicted flows are written, marked, and a later segment of one starts a new
        // (mid-stream) flow, so every one of the 70 segments is counted once.
        Assert.Contains(flows, f => f.CloseReason == TcpCloseReason.Evicted);
        Assert.True(flows.Count >= 10);
        Assert.Equal(70, flows.Sum(f => (long)f.ClientPackets + f.ServerPackets));
        var warning = Assert.Single(run.Warnings);
        Assert.Contains("-MaxFlows", warning);
    }

    [Fact]
    public void Verbose_reports_the_tracker_statistics()
    {
        var run = PowerShellRun.Invoke("Get-TcpFlow -Path $p -Verbose", variables: Vars(("p", States))).AssertNoErrors();
        Assert.Contains(run.Verbose, v => v.StartsWith("Tracker: 70 segments, 10 flows", StringComparison.Ordinal));
    }
}
