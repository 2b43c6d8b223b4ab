using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.PowerShell.Tests.Lab;

namespace TcpTools.PowerShell.Tests;

/// <summary>
/// Real Linux TCP stacks in two namespaces are driven into every end state; tcpdump captures the veth; then
/// Get-TcpFlow (through PowerShell) must report for each connection the ClientState and ServerState that
/// `ss -tan` shows in the client and the server namespace. IPv4 and IPv6. Some scenarios lose a segment after the
/// capture point (the receiver's input hook drops what the capture saw arrive) and some lose the receiver's answer
/// before it (its output hook): the capture cannot tell the two apart, so each -StateEvidence reading is right on
/// one kind and must give exactly its documented reading on the other.
/// </summary>
[Trait("Category", "Namespace")]
[Collection(NamespaceCollection.Name)]
public class FlowStateNamespaceTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(400);

    /// <summary>The scenarios: a server port each, and how to drive it.</summary>
    internal enum Scenario
    {
        Established = 5001,
        FinWait1 = 5002,
        FinWait2CloseWait = 5003,
        LastAck = 5004,
        TimeWaitClientFirst = 5005,
        TimeWaitServerFirst = 5006,
        SynSentToDroppingPort = 5007,
        SynReceived = 5008,
        Reset = 5009,
        Refused = 5010,
        SynAckReceivedAckLost = 5011,
        FinReceivedAckLost = 5012,
        TimeWaitLastAckLost = 5013,
    }

    /// <summary>Where a segment was lost after the capture point, what -StateEvidence Receipt reads (ss differs).</summary>
    internal static readonly Dictionary<Scenario, (TcpState Client, TcpState Server)> ReceiptReadingOfLossAfterCapture = new()
    {
        [Scenario.FinWait1] = (TcpState.FinWait1, TcpState.CloseWait),
        [Scenario.LastAck] = (TcpState.TimeWait, TcpState.LastAck),
        [Scenario.SynReceived] = (TcpState.Established, TcpState.SynReceived),
    };

    /// <summary>Where the receiver's answer was lost before the capture point, what -StateEvidence Answer reads (ss differs).</summary>
    internal static readonly Dictionary<Scenario, (TcpState Client, TcpState Server)> AnswerReadingOfLossBeforeCapture = new()
    {
        [Scenario.SynAckReceivedAckLost] = (TcpState.SynSent, TcpState.SynReceived),
        [Scenario.FinReceivedAckLost] = (TcpState.FinWait1, TcpState.Established),
        [Scenario.TimeWaitLastAckLost] = (TcpState.FinWait2, TcpState.LastAck),
    };

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Get_TcpFlow_states_equal_what_ss_shows_in_each_namespace(bool ipv6)
    {
        using var lab = new NetworkLab();
        using var dir = new TempDir();
        DropAfterCapturePoint(lab);
        var capture = lab.StartCapture(lab.Client, Path.Combine(dir.Path, "states.pcap"));
        var sockets = new List<Socket>();
        var clients = Drive(lab, ipv6, sockets);
        Thread.Sleep(Settle);
        capture.Stop();
        var clientSockets = lab.Sockets(lab.Client);
        var serverSockets = lab.Sockets(lab.Server);
        SaveForSamples(capture.File, ipv6);

        var run = PowerShellRun.Invoke("Get-TcpFlow -Path $p", variables: new Dictionary<string, object?> { ["p"] = capture.File }).AssertNoErrors();
        var flows = run.Objects<TcpConnectionState>();
        var report = CompareWithSs(flows, clients, clientSockets, serverSockets, ipv6, ReceiptReadingOfLossAfterCapture);
        Assert.True(report.Count == 0, "-StateEvidence Receipt (the default):\n" + string.Join("\n", report) + "\ntcpdump: " + capture.Stderr);
        var answer = PowerShellRun.Invoke("Get-TcpFlow -Path $p -StateEvidence Answer", variables: new Dictionary<string, object?> { ["p"] = capture.File })
            .AssertNoErrors().Objects<TcpConnectionState>();
        report = CompareWithSs(answer, clients, clientSockets, serverSockets, ipv6, AnswerReadingOfLossBeforeCapture);
        Assert.True(report.Count == 0, "-StateEvidence Answer:\n" + string.Join("\n", report) + "\ntcpdump: " + capture.Stderr);
        // The scenarios really reached the states they are named after (so the comparison covered each of them).
        TcpState Ss(Scenario s, bool client) => (client ? clientSockets : serverSockets)
            .Where(x => (client ? x.Peer : x.Local).Port == (int)s).Select(x => x.State).DefaultIfEmpty(TcpState.Closed).First();
        Assert.Equal((TcpState.Established, TcpState.Established), (Ss(Scenario.Established, true), Ss(Scenario.Established, false)));
        Assert.Equal((TcpState.FinWait1, TcpState.Established), (Ss(Scenario.FinWait1, true), Ss(Scenario.FinWait1, false)));
        Assert.Equal((TcpState.FinWait2, TcpState.CloseWait), (Ss(Scenario.FinWait2CloseWait, true), Ss(Scenario.FinWait2CloseWait, false)));
        Assert.Equal((TcpState.FinWait2, TcpState.LastAck), (Ss(Scenario.LastAck, true), Ss(Scenario.LastAck, false)));
        Assert.Equal((TcpState.TimeWait, TcpState.Closed), (Ss(Scenario.TimeWaitClientFirst, true), Ss(Scenario.TimeWaitClientFirst, false)));
        Assert.Equal((TcpState.Closed, TcpState.TimeWait), (Ss(Scenario.TimeWaitServerFirst, true), Ss(Scenario.TimeWaitServerFirst, false)));
        Assert.Equal((TcpState.SynSent, TcpState.Closed), (Ss(Scenario.SynSentToDroppingPort, true), Ss(Scenario.SynSentToDroppingPort, false)));
        Assert.Equal((TcpState.SynSent, TcpState.SynReceived), (Ss(Scenario.SynReceived, true), Ss(Scenario.SynReceived, false)));
        Assert.Equal((TcpState.Closed, TcpState.Closed), (Ss(Scenario.Reset, true), Ss(Scenario.Reset, false)));
        Assert.Equal((TcpState.Established, TcpState.SynReceived), (Ss(Scenario.SynAckReceivedAckLost, true), Ss(Scenario.SynAckReceivedAckLost, false)));
        Assert.Equal((TcpState.FinWait1, TcpState.CloseWait), (Ss(Scenario.FinReceivedAckLost, true), Ss(Scenario.FinReceivedAckLost, false)));
        Assert.Equal((TcpState.TimeWait, TcpState.LastAck), (Ss(Scenario.TimeWaitLastAckLost, true), Ss(Scenario.TimeWaitLastAckLost, false)));
        Assert.Contains(flows, f => f.ServerPort == (int)Scenario.Reset && f.CloseReason == TcpCloseReason.Reset);
        Assert.Contains(flows, f => f.ServerPort == (int)Scenario.Refused && f.ConnState == ZeekConnState.REJ);
        Assert.Single(flows, f => f.State == TcpState.TimeWait && f.ServerPort == (int)Scenario.TimeWaitClientFirst);
        // The sockets stay open (not finalized) until ss has seen them.
        sockets.ForEach(s => s.Dispose());
    }

    /// <summary>
    /// nftables drops on the receiving side of the capture point: the capture shows what was sent, a side never
    /// receives it (input hooks). And drops of the receiver's answer before the capture point (output hooks): the
    /// receiver moved, and the capture never shows it answering. Pure ACKs only, so the handshake and data pass.
    /// </summary>
    internal static void DropAfterCapturePoint(NetworkLab lab)
    {
        lab.Nft(lab.Client, """
            table inet ttout {
              chain out {
                type filter hook output priority 0;
                tcp dport 5011 tcp flags & (fin | syn | rst | ack) == ack drop
              }
            }
            """);
        lab.Nft(lab.Server, """
            table inet ttout {
              chain out {
                type filter hook output priority 0;
                tcp sport 5012 tcp flags & (fin | syn | rst | ack) == ack drop
              }
            }
            """);
        lab.Nft(lab.Server, """
            table inet tt {
              chain in {
                type filter hook input priority 0;
                tcp dport 5002 tcp flags & fin == fin drop
                tcp dport 5007 drop
              }
            }
            """);
        lab.Nft(lab.Client, """
            table inet tt {
              chain in {
                type filter hook input priority 0;
                tcp sport 5004 tcp flags & fin == fin drop
                tcp sport 5008 tcp flags & (syn | ack) == (syn | ack) drop
              }
            }
            """);
    }

    /// <summary>For each driven connection: its flow's ClientState and ServerState against what ss showed; the mismatches.</summary>
    /// <param name="instead">Scenarios compared with the reading given here instead of ss (the evidence's documented limit).</param>
    internal static List<string> CompareWithSs(List<TcpConnectionState> flows, List<(Scenario Scenario, IPEndPoint Local)> clients,
        List<(TcpState State, IPEndPoint Local, IPEndPoint Peer)> clientSockets, List<(TcpState State, IPEndPoint Local, IPEndPoint Peer)> serverSockets, bool ipv6,
        IReadOnlyDictionary<Scenario, (TcpState Client, TcpState Server)> instead)
    {
        var report = new List<string>();
        foreach (var (scenario, local) in clients)
        {
            var server = new IPEndPoint(NetworkLab.Address(false, ipv6), (int)scenario);
            var flow = flows.Where(f => f.ClientEndPoint.Equals(local) && f.ServerEndPoint.Equals(server)).ToList();
            TcpState ssClient = clientSockets.Where(s => s.Local.Equals(local) && s.Peer.Equals(server)).Select(s => s.State).DefaultIfEmpty(TcpState.Closed).First();
            TcpState ssServer = serverSockets.Where(s => s.Local.Equals(server) && s.Peer.Equals(local)).Select(s => s.State).DefaultIfEmpty(TcpState.Closed).First();
            if (flow.Count != 1)
            {
                report.Add($"{scenario}: {flow.Count} flows for {local} > {server}");
                continue;
            }
            var f = flow[0];
            if (instead.TryGetValue(scenario, out var reading))
            {
                if ((f.ClientState, f.ServerState) != reading)
                {
                    report.Add($"{scenario}: Get-TcpFlow {f.ClientState}/{f.ServerState} ({f.History}), this evidence reads {reading.Client}/{reading.Server} (ss {ssClient}/{ssServer})");
                }
            }
            else if (f.ClientState != ssClient || f.ServerState != ssServer)
            {
                report.Add($"{scenario}: Get-TcpFlow {f.ClientState}/{f.ServerState} ({f.History}), ss {ssClient}/{ssServer}");
            }
        }
        return report;
    }

    /// <summary>Runs every scenario; returns each client's local endpoint, and adds every socket it opens to
    /// <paramref name="sockets"/> so that none is closed by the finalizer while the states are read.</summary>
    internal static List<(Scenario Scenario, IPEndPoint Local)> Drive(NetworkLab lab, bool ipv6, List<Socket> sockets)
    {
        var serverAddress = NetworkLab.Address(false, ipv6);
        var listeners = Enum.GetValues<Scenario>().Where(s => s != Scenario.Refused).ToDictionary(s => s, s => lab.Listen(lab.Server, ipv6, (int)s));
        sockets.AddRange(listeners.Values);
        var result = new List<(Scenario, IPEndPoint)>();

        Socket Connect(Scenario s, bool wait = true)
        {
            var c = lab.Socket(lab.Client, ipv6);
            sockets.Add(c);
            c.Bind(new IPEndPoint(NetworkLab.Address(true, ipv6), 0));
            var task = c.ConnectAsync(new IPEndPoint(serverAddress, (int)s));
            if (wait)
            {
                try
                {
                    task.Wait(TimeSpan.FromSeconds(5));
                }
                catch (AggregateException) when (s == Scenario.Refused)
                {
                }
            }
            result.Add((s, (IPEndPoint)c.LocalEndPoint!));
            return c;
        }

        Socket Accept(Scenario s)
        {
            var a = listeners[s].Accept();
            sockets.Add(a);
            return a;
        }

        void Exchange(Socket c, Socket a)
        {
            c.Send(new byte[100]);
            a.ReceiveExactly(100);
            a.Send(new byte[300]);
            c.ReceiveExactly(300);
        }

        var est = Connect(Scenario.Established);
        Exchange(est, Accept(Scenario.Established));

        var fw1 = Connect(Scenario.FinWait1);
        Exchange(fw1, Accept(Scenario.FinWait1));
        fw1.Shutdown(SocketShutdown.Send); // the server never receives this FIN

        var fw2 = Connect(Scenario.FinWait2CloseWait);
        Exchange(fw2, Accept(Scenario.FinWait2CloseWait));
        fw2.Shutdown(SocketShutdown.Send); // acknowledged; the server application does not close

        var la = Connect(Scenario.LastAck);
        var laServer = Accept(Scenario.LastAck);
        Exchange(la, laServer);
        la.Shutdown(SocketShutdown.Send);
        Thread.Sleep(50);
        laServer.Shutdown(SocketShutdown.Send); // the client never receives the server's FIN

        var twc = Connect(Scenario.TimeWaitClientFirst);
        var twcServer = Accept(Scenario.TimeWaitClientFirst);
        Exchange(twc, twcServer);
        twc.Close();
        twcServer.ReceiveExactly(0);
        twcServer.Close();

        var tws = Connect(Scenario.TimeWaitServerFirst);
        var twsServer = Accept(Scenario.TimeWaitServerFirst);
        Exchange(tws, twsServer);
        twsServer.Close();
        tws.ReceiveExactly(0);
        tws.Close();

        Connect(Scenario.SynSentToDroppingPort, wait: false);
        Connect(Scenario.SynReceived, wait: false);

        Connect(Scenario.SynAckReceivedAckLost); // connected: the SYN-ACK arrived; the client's ACK never leaves

        var fra = Connect(Scenario.FinReceivedAckLost);
        Accept(Scenario.FinReceivedAckLost);
        fra.Shutdown(SocketShutdown.Send); // the server receives the FIN; its ACK never leaves

        var tla = Connect(Scenario.TimeWaitLastAckLost);
        var tlaServer = Accept(Scenario.TimeWaitLastAckLost);
        Exchange(tla, tlaServer);
        tla.Shutdown(SocketShutdown.Send);
        tlaServer.ReceiveExactly(0); // the client is in FIN_WAIT_2 once the server's ACK is in
        Thread.Sleep(50);
        lab.Nft(lab.Client, """
            table inet ttlate {
              chain out {
                type filter hook output priority 0;
                tcp dport 5013 tcp flags & (fin | syn | rst | ack) == ack drop
              }
            }
            """);
        tlaServer.Shutdown(SocketShutdown.Send); // TIME_WAIT on the client; its last ACK never leaves
        tla.ReceiveExactly(0);

        var rst = Connect(Scenario.Reset);
        Exchange(rst, Accept(Scenario.Reset));
        rst.LingerState = new LingerOption(true, 0);
        rst.Close(); // abortive close: RST

        Connect(Scenario.Refused);
        return result;
    }


    /// <summary>With TCPTOOLS_SAVE_CAPTURES set, keeps the capture (how samples/tcp-states*.pcap are made).</summary>
    private static void SaveForSamples(string file, bool ipv6)
    {
        string? to = Environment.GetEnvironmentVariable("TCPTOOLS_SAVE_CAPTURES");
        if (!string.IsNullOrEmpty(to))
        {
            Directory.CreateDirectory(to);
            File.Copy(file, Path.Combine(to, ipv6 ? "tcp-states-ipv6.pcap" : "tcp-states.pcap"), overwrite: true);
        }
    }
}
