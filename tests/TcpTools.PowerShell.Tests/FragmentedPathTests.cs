using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.PowerShell.Tests.Lab;

namespace TcpTools.PowerShell.Tests;

/// <summary>
/// TCP through a router that fragments it (issue 12): client (198.18.6.1) — router — server (198.19.6.1), the
/// router's links at MTU 1000 and both hosts sending without path-MTU discovery (no DF bit), so the router cuts every
/// full-sized segment into IPv4 fragments, real ones from the kernel's own fragmentation. Captured on each host's
/// veth (tcpdump) and live (Get-TcpFlow -Interface on the server), the segments are reassembled: every byte is
/// counted once, and each endpoint's state is what ss shows in its host.
/// </summary>
[Trait("Category", "Namespace")]
[Collection(NamespaceCollection.Name)]
public sealed class FragmentedPathTests : IDisposable
{
    private static int s_counter;
    private readonly string _client, _router, _server;
    private readonly TempDir _dir = new();

    public FragmentedPathTests()
    {
        string tag = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref s_counter)}";
        (_client, _router, _server) = ($"ttf{tag}c", $"ttf{tag}r", $"ttf{tag}s");
    }

    private void Build()
    {
        foreach (string ns in new[] { _client, _router, _server })
        {
            Sh.Run("ip", "netns", "add", ns);
            Sh.Run("ip", "-n", ns, "link", "set", "lo", "up");
        }
        Sh.Run("ip", "link", "add", $"{_client}0", "netns", _client, "type", "veth", "peer", "name", $"{_router}a", "netns", _router);
        Sh.Run("ip", "link", "add", $"{_server}0", "netns", _server, "type", "veth", "peer", "name", $"{_router}b", "netns", _router);
        Sh.Run("ip", "-n", _client, "addr", "add", "198.18.6.1/24", "dev", $"{_client}0");
        Sh.Run("ip", "-n", _router, "addr", "add", "198.18.6.254/24", "dev", $"{_router}a");
        Sh.Run("ip", "-n", _router, "addr", "add", "198.19.6.254/24", "dev", $"{_router}b");
        Sh.Run("ip", "-n", _server, "addr", "add", "198.19.6.1/24", "dev", $"{_server}0");
        foreach (var (ns, dev) in new[] { (_client, $"{_client}0"), (_router, $"{_router}a"), (_router, $"{_router}b"), (_server, $"{_server}0") })
        {
            Sh.Run("ip", "-n", ns, "link", "set", dev, "up");
            if (Sh.Exists("ethtool"))
            {
                Sh.Try("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off");
            }
        }
        // The router forwards at most 1000 bytes a packet each way (a locked route MTU: a veth's own MTU would drop
        // larger frames as they arrive); the hosts' links are 1500, so their full-sized segments are larger than the path.
        Sh.Run("ip", "-n", _router, "route", "replace", "198.18.6.0/24", "dev", $"{_router}a", "src", "198.18.6.254", "mtu", "lock", "1000");
        Sh.Run("ip", "-n", _router, "route", "replace", "198.19.6.0/24", "dev", $"{_router}b", "src", "198.19.6.254", "mtu", "lock", "1000");
        Sh.Run("ip", "-n", _client, "route", "add", "default", "via", "198.18.6.254");
        Sh.Run("ip", "-n", _server, "route", "add", "default", "via", "198.19.6.254");
        Sh.Run("ip", "netns", "exec", _router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        foreach (string ns in new[] { _client, _server })
        {
            Sh.Run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_no_pmtu_disc=1"); // no DF: routers may fragment
        }
    }

    private static Socket In(string ns, IPEndPoint? listen = null)
    {
        var s = NetworkLab.SocketIn(ns, AddressFamily.InterNetwork);
        if (listen is not null)
        {
            s.Bind(listen);
            s.Listen(8);
        }
        s.ReceiveTimeout = s.SendTimeout = 20_000;
        return s;
    }

    private static void Transfer(Socket from, Socket to, int bytes)
    {
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        Exception? failed = null;
        var sender = new Thread(() =>
        {
            try
            {
                from.Send(data);
            }
            catch (SocketException e)
            {
                failed = e;
            }
        });
        sender.Start();
        to.ReceiveExactly(bytes);
        Assert.True(sender.Join(TimeSpan.FromSeconds(20)), "the sender did not finish");
        Assert.Null(failed);
    }

    [NamespaceFact]
    public void Segments_fragmented_by_a_router_are_reassembled_and_every_state_is_what_ss_shows()
    {
        Build();
        string atServer = Path.Combine(_dir.Path, "server.pcap"), atClient = Path.Combine(_dir.Path, "client.pcap");
        using var serverCapture = new Capture(_server, $"{_server}0", atServer, "tcp"); // 'tcp' is every fragment of a TCP packet
        using var clientCapture = new Capture(_client, $"{_client}0", atClient, "tcp");
        using var live = LivePowerShell.Start(_server, "Get-TcpFlow -Interface $i -Filter tcp -Duration 5 -Verbose",
            new Dictionary<string, object?> { ["i"] = $"{_server}0" });

        var serverAddress = IPAddress.Parse("198.19.6.1");
        using var listener = In(_server, new IPEndPoint(serverAddress, 7101));
        // One connection closed by the client (TIME_WAIT there, CLOSED at the server), one left open.
        using var closing = In(_client);
        closing.Connect(new IPEndPoint(serverAddress, 7101));
        using var closingServer = listener.Accept();
        Transfer(closing, closingServer, 100_000);
        Transfer(closingServer, closing, 50_000);
        closing.Shutdown(SocketShutdown.Send);
        closingServer.ReceiveExactly(0);
        closingServer.Shutdown(SocketShutdown.Send);
        closing.ReceiveExactly(0);
        using var open = In(_client);
        open.Connect(new IPEndPoint(serverAddress, 7101));
        using var openServer = listener.Accept();
        Transfer(open, openServer, 30_000);
        Transfer(openServer, open, 20_000);
        var closingPort = ((IPEndPoint)closing.LocalEndPoint!).Port;
        var openPort = ((IPEndPoint)open.LocalEndPoint!).Port;

        Assert.True(live.Wait(TimeSpan.FromSeconds(30)), "-Duration 5 did not end the capture");
        var clientSs = Sockets(_client);
        var serverSs = Sockets(_server);
        Thread.Sleep(300);
        serverCapture.Stop();
        clientCapture.Stop();
        live.AssertNoErrors();

        var expected = new Dictionary<int, (ulong ClientBytes, ulong ServerBytes)> { [closingPort] = (100_000, 50_000), [openPort] = (30_000, 20_000) };
        (TcpState, TcpState) Ss(int port) => (
            clientSs.GetValueOrDefault(port, TcpState.Closed),
            serverSs.GetValueOrDefault(port, TcpState.Closed));
        Assert.Equal((TcpState.TimeWait, TcpState.Closed), Ss(closingPort));
        Assert.Equal((TcpState.Established, TcpState.Established), Ss(openPort));

        void Check(string where, IReadOnlyCollection<TcpConnectionState> flows)
        {
            Assert.Equal(2, flows.Count);
            foreach (var f in flows)
            {
                int port = f.ClientPort;
                Assert.True(expected.ContainsKey(port), $"{where}: unexpected flow {f}");
                Assert.Equal((where, expected[port]), (where, (f.ClientBytes, f.ServerBytes)));
                Assert.Equal((where, port, Ss(port)), (where, port, (f.ClientState, f.ServerState)));
            }
        }
        foreach (string file in new[] { atServer, atClient })
        {
            var run = PowerShellRun.Invoke("Get-TcpFlow -Path $p -Verbose", variables: new Dictionary<string, object?> { ["p"] = file }).AssertNoErrors();
            Check(Path.GetFileName(file), run.Objects<TcpConnectionState>());
            // The router fragmented what each host received: those datagrams were reassembled, none left over.
            var line = Assert.Single(run.Verbose, v => v.Contains(" IP fragments reassembled into ", StringComparison.Ordinal));
            Assert.Contains(" 0 IP fragments of datagrams never completed, 0 overlapping, 0 duplicate, 0 invalid)", line, StringComparison.Ordinal);
            var stats = Statistics(file);
            Assert.True(stats.ReassembledDatagrams >= 40, $"{file}: {stats}"); // 130,000 bytes to the server, 70,000 back, 1,448 a segment
            Assert.Equal(stats.Fragments, stats.ReassembledFragments);
        }
        Check("live", live.Items<TcpConnectionState>().Select(i => i.Item).ToList());
        Assert.Contains(live.Verbose, v => v.Contains(" IP fragments reassembled into ", StringComparison.Ordinal) && !v.Contains(" 0 IP fragments reassembled", StringComparison.Ordinal));
    }

    private static SegmentReadStatistics Statistics(string file)
    {
        using var reader = CaptureFileSegmentReader.Open(file, null);
        while (reader.TryReadNext(out CapturedFrame _, out ReadOnlySpan<byte> _, out _))
        {
        }
        return reader.Statistics;
    }

    /// <summary>ss's states in a namespace by the client's port (of the connections to or from port 7101).</summary>
    private static Dictionary<int, TcpState> Sockets(string ns)
    {
        var result = new Dictionary<int, TcpState>();
        foreach (string line in Sh.Run("ip", "netns", "exec", ns, "ss", "-tanH").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length < 5 || cols[0] == "LISTEN")
            {
                continue;
            }
            var local = IPEndPoint.Parse(cols[3]);
            var peer = IPEndPoint.Parse(cols[4]);
            result[local.Port == 7101 ? peer.Port : local.Port] = NetworkLab.SsState(cols[0]);
        }
        return result;
    }

    public void Dispose()
    {
        foreach (string ns in new[] { _client, _router, _server })
        {
            foreach (string pid in Sh.Try("ip", "netns", "pids", ns).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Sh.Try("kill", "-KILL", pid.Trim());
            }
            Sh.Try("ip", "netns", "del", ns);
        }
        _dir.Dispose();
    }
}
