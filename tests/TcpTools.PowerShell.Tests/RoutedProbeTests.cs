using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.PowerShell.Tests.Lab;

namespace TcpTools.PowerShell.Tests;

/// <summary>
/// Probing through a router: client (198.18.5.1) — router (198.18.5.254 / 198.19.5.254) — server (198.19.5.1),
/// three namespaces. Send-TcpSyn must find the gateway in the routing table, send to the router's MAC, and report
/// the router as the sender of the ICMP error its firewall returns.
/// </summary>
[Trait("Category", "Namespace")]
[Collection(NamespaceCollection.Name)]
public sealed class RoutedProbeTests : IDisposable
{
    private static int s_counter;
    private readonly string _client, _router, _server;

    public RoutedProbeTests()
    {
        string tag = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref s_counter)}";
        (_client, _router, _server) = ($"ttr{tag}c", $"ttr{tag}r", $"ttr{tag}s");
    }

    [NamespaceFact]
    public void Off_link_targets_go_through_the_gateway_and_ICMP_names_the_router()
    {
        foreach (string ns in new[] { _client, _router, _server })
        {
            Sh.Run("ip", "netns", "add", ns);
            Sh.Run("ip", "-n", ns, "link", "set", "lo", "up");
        }
        Sh.Run("ip", "link", "add", $"{_client}0", "netns", _client, "type", "veth", "peer", "name", $"{_router}a", "netns", _router);
        Sh.Run("ip", "link", "add", $"{_server}0", "netns", _server, "type", "veth", "peer", "name", $"{_router}b", "netns", _router);
        Sh.Run("ip", "-n", _client, "addr", "add", "198.18.5.1/24", "dev", $"{_client}0");
        Sh.Run("ip", "-n", _router, "addr", "add", "198.18.5.254/24", "dev", $"{_router}a");
        Sh.Run("ip", "-n", _router, "addr", "add", "198.19.5.254/24", "dev", $"{_router}b");
        Sh.Run("ip", "-n", _server, "addr", "add", "198.19.5.1/24", "dev", $"{_server}0");
        foreach (var (ns, dev) in new[] { (_client, $"{_client}0"), (_router, $"{_router}a"), (_router, $"{_router}b"), (_server, $"{_server}0") })
        {
            Sh.Run("ip", "-n", ns, "link", "set", dev, "up");
        }
        Sh.Run("ip", "-n", _client, "route", "add", "default", "via", "198.18.5.254");
        Sh.Run("ip", "-n", _server, "route", "add", "default", "via", "198.19.5.254");
        Sh.Run("ip", "netns", "exec", _router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        string rules = System.IO.Path.GetTempFileName();
        System.IO.File.WriteAllText(rules, """
            table inet tt {
              chain forwarded {
                type filter hook forward priority 0;
                tcp dport 7003 reject with icmp type admin-prohibited
              }
            }
            """);
        Sh.Run("ip", "netns", "exec", _router, "nft", "-f", rules);
        System.IO.File.Delete(rules);

        using var listener = ListenIn(_server, new IPEndPoint(IPAddress.Parse("198.19.5.1"), 7001));
        using var run = LivePowerShell.RunToEnd(_client, "Send-TcpSyn '198.19.5.1:7001,7002,7003' -Timeout 0.5");
        run.AssertNoErrors();
        var results = run.Items<TcpProbeResult>().Select(i => i.Item).ToDictionary(r => (int)r.Port);

        // Frames reached an off-link host, so they went to the router's MAC; the answer crossed one hop (TTL 64 - 1).
        Assert.Equal((TcpProbeStatus.Open, 63), (results[7001].Status, results[7001].Ttl ?? 0));
        Assert.Equal(TcpProbeStatus.Closed, results[7002].Status);
        Assert.Equal((TcpProbeStatus.Filtered, "icmp-admin-prohibited"), (results[7003].Status, results[7003].Reason));
        Assert.Equal("198.18.5.254", results[7003].ReasonAddress); // the router, not the target
    }

    public void Dispose()
    {
        foreach (string ns in new[] { _client, _router, _server })
        {
            Sh.Try("ip", "netns", "del", ns);
        }
    }

    private static Socket ListenIn(string ns, IPEndPoint at)
    {
        var socket = NetworkLab.SocketIn(ns, AddressFamily.InterNetwork);
        socket.Bind(at);
        socket.Listen(16);
        return socket;
    }
}
