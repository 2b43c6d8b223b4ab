using System;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using TcpTools.PowerShell.Tests.Lab;

namespace TcpTools.PowerShell.Tests;

/// <summary>
/// Trace-TcpRoute through two real Linux routers: client (198.18.10.1) — r1 (198.18.10.254 | 198.18.11.1) — r2
/// (198.18.11.2 | 198.18.12.254) — server (198.18.12.1), the same in fd00:198:18:1x::/64. The server listens on 443
/// (80 is closed); r2 drops forwarded probes to 3306 and rejects those to 3307 with ICMP admin-prohibited. The routers'
/// ICMP rate limit is off, so every probe that expires is answered (the rate limit has its own test).
/// </summary>
[Trait("Category", "Namespace")]
[Collection(NamespaceCollection.Name)]
public sealed class RouteTraceNamespaceTests : IDisposable
{
    private static int s_counter;
    private readonly string _client, _r1, _r2, _server;

    public RouteTraceNamespaceTests()
    {
        string tag = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref s_counter)}";
        (_client, _r1, _r2, _server) = ($"ttt{tag}c", $"ttt{tag}a", $"ttt{tag}b", $"ttt{tag}s");
    }

    private Socket4And6 Build(bool rateLimit = false)
    {
        foreach (string ns in new[] { _client, _r1, _r2, _server })
        {
            Sh.Run("ip", "netns", "add", ns);
            Sh.Run("ip", "-n", ns, "link", "set", "lo", "up");
            // No duplicate address detection: a tentative link-local address delays the routers' neighbour
            // discovery, and with it their first ICMPv6 errors, by a second or two.
            Sh.Run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0");
        }
        Link(_client, "0", _r1, "a");
        Link(_r1, "b", _r2, "a");
        Link(_r2, "b", _server, "0");
        Address(_client, "0", "198.18.10.1/24", "fd00:198:18:10::1/64");
        Address(_r1, "a", "198.18.10.254/24", "fd00:198:18:10::fe/64");
        Address(_r1, "b", "198.18.11.1/24", "fd00:198:18:11::1/64");
        Address(_r2, "a", "198.18.11.2/24", "fd00:198:18:11::2/64");
        Address(_r2, "b", "198.18.12.254/24", "fd00:198:18:12::fe/64");
        Address(_server, "0", "198.18.12.1/24", "fd00:198:18:12::1/64");
        Route(_client, "default", "198.18.10.254", "default", "fd00:198:18:10::fe");
        Route(_r1, "198.18.12.0/24", "198.18.11.2", "fd00:198:18:12::/64", "fd00:198:18:11::2");
        Route(_r2, "198.18.10.0/24", "198.18.11.1", "fd00:198:18:10::/64", "fd00:198:18:11::1");
        Route(_server, "default", "198.18.12.254", "default", "fd00:198:18:12::fe");
        foreach (string r in new[] { _r1, _r2 })
        {
            Sh.Run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
            if (!rateLimit)
            {
                Sh.Run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0");
            }
        }
        var rules = System.IO.Path.GetTempFileName();
        System.IO.File.WriteAllText(rules, """
            table inet tt {
              chain forward_filter {
                type filter hook forward priority 0;
                tcp dport 3306 drop
                tcp dport 3307 reject with icmpx type admin-prohibited
              }
            }
            """);
        Sh.Run("ip", "netns", "exec", _r2, "nft", "-f", rules);
        System.IO.File.Delete(rules);
        return new Socket4And6(_server, 443);
    }

    private static void Link(string a, string aSuffix, string b, string bSuffix)
    {
        Sh.Run("ip", "link", "add", a + aSuffix, "netns", a, "type", "veth", "peer", "name", b + bSuffix, "netns", b);
        Sh.Run("ip", "-n", a, "link", "set", a + aSuffix, "up");
        Sh.Run("ip", "-n", b, "link", "set", b + bSuffix, "up");
    }

    private static void Address(string ns, string suffix, string v4, string v6)
    {
        Sh.Run("ip", "-n", ns, "addr", "add", v4, "dev", ns + suffix);
        Sh.Run("ip", "-n", ns, "addr", "add", v6, "dev", ns + suffix, "nodad");
    }

    private static void Route(string ns, string v4, string via4, string v6, string via6)
    {
        Sh.Run("ip", "-n", ns, "route", "add", v4, "via", via4);
        Sh.Run("ip", "-n", ns, "-6", "route", "add", v6, "via", via6);
    }

    private static string Server(bool ipv6, int port) => ipv6 ? $"[fd00:198:18:12::1]:{port}" : $"198.18.12.1:{port}";

    private static string[] Routers(bool ipv6) => ipv6 ? new[] { "fd00:198:18:10::fe", "fd00:198:18:11::2" } : new[] { "198.18.10.254", "198.18.11.2" };

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Each_router_then_the_destination_open_or_closed(bool ipv6)
    {
        using var listener = Build();
        using var run = LivePowerShell.RunToEnd(_client, $"Trace-TcpRoute '{Server(ipv6, 443)}', '{Server(ipv6, 80)}' -MaxHops 8 -Timeout 0.5");
        run.AssertNoErrors();
        Assert.Empty(run.Warnings);
        var hops = run.Items<TcpRouteHop>().Select(i => i.Item).ToList();
        string server = ipv6 ? "fd00:198:18:12::1" : "198.18.12.1";
        foreach (var (port, end, reason) in new[] { (443, TcpRouteHopStatus.Open, "syn-ack"), (80, TcpRouteHopStatus.Closed, "reset") })
        {
            var trace = hops.Where(h => h.Port == port).ToList();
            Assert.Equal(new[] { 1, 2, 3 }, trace.Select(h => h.Hop));
            Assert.Equal(Routers(ipv6).Append(server), trace.Select(h => h.Address));
            Assert.Equal(new[] { TcpRouteHopStatus.TimeExceeded, TcpRouteHopStatus.TimeExceeded, end }, trace.Select(h => h.Status));
            Assert.Equal(ipv6 ? "icmp6-time-exceeded" : "icmp-time-exceeded", trace[0].Reason);
            Assert.Equal(reason, trace[2].Reason);
            // Each answer came back over as many hops as the probe went: TTL 64 less the routers on the way back.
            Assert.Equal(new int?[] { 64, 63, 62 }, trace.Select(h => h.ReplyTtl));
            Assert.All(trace, h => Assert.Equal(3, h.Rtts.Count(r => r is > 0)));
            Assert.True(trace[2].IsDestination);
        }
        // The open port's half-open connections were reset: nothing is left on the server.
        Thread.Sleep(200);
        Assert.DoesNotContain("SYN-RECV", Sh.Run("ip", "netns", "exec", _server, "ss", "-tan"), StringComparison.Ordinal);
    }

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_router_that_drops_a_port_is_where_the_path_goes_silent_and_a_reject_ends_it(bool ipv6)
    {
        using var listener = Build();
        using var run = LivePowerShell.RunToEnd(_client, $"Trace-TcpRoute '{Server(ipv6, 3306)}', '{Server(ipv6, 3307)}' -MaxHops 6 -Timeout 0.5");
        run.AssertNoErrors();
        var hops = run.Items<TcpRouteHop>().Select(i => i.Item).ToList();
        var dropped = hops.Where(h => h.Port == 3306).ToList();
        Assert.Equal(new[] { TcpRouteHopStatus.TimeExceeded, TcpRouteHopStatus.TimeExceeded, TcpRouteHopStatus.NoReply }, dropped.Select(h => h.Status));
        Assert.Equal(Routers(ipv6).Append(null), dropped.Select(h => h.Address));
        Assert.Equal(new decimal?[] { null, null, null }, dropped[2].Rtts);
        var warning = Assert.Single(run.Warnings);
        Assert.Contains($"no answer from hop 3 to 6: the path goes silent after hop 2 ({Routers(ipv6)[1]})", warning, StringComparison.Ordinal);
        // r2 lets TTL 2 expire (time exceeded comes before its forward filter), then rejects what it would forward.
        var rejected = hops.Where(h => h.Port == 3307).ToList();
        Assert.Equal(new[] { TcpRouteHopStatus.TimeExceeded, TcpRouteHopStatus.TimeExceeded, TcpRouteHopStatus.Unreachable }, rejected.Select(h => h.Status));
        Assert.Equal(Routers(ipv6).Append(Routers(ipv6)[1]), rejected.Select(h => h.Address));
        Assert.Equal(ipv6 ? "icmp6-admin-prohibited" : "icmp-admin-prohibited", rejected[2].Reason);
        Assert.False(rejected[2].IsDestination);
    }

    [NamespaceFact]
    public void Routers_that_limit_their_ICMP_errors_show_as_silent_hops_not_as_the_end()
    {
        using var listener = Build(rateLimit: true);
        // Linux answers a burst of 6 expired probes per source, then one a second: 4 probes per hop for 443 and
        // again for 80 leave some of the second trace's probes unanswered at r1 and r2, but the destination answers.
        using var run = LivePowerShell.RunToEnd(_client, $"Trace-TcpRoute '{Server(false, 443)}', '{Server(false, 80)}' -ProbesPerHop 4 -MaxHops 5 -Timeout 0.5");
        run.AssertNoErrors();
        var second = run.Items<TcpRouteHop>().Select(i => i.Item).Where(h => h.Port == 80).ToList();
        Assert.Equal(3, second.Count);
        Assert.Equal(TcpRouteHopStatus.Closed, second[2].Status);
        Assert.Contains(second.Take(2), h => h.Rtts.Any(r => r is null));
    }

    [NamespaceFact]
    public void Bad_targets_get_their_own_errors_and_WhatIf_sends_nothing()
    {
        using var listener = Build();
        using var run = LivePowerShell.RunToEnd(_client, $"Trace-TcpRoute '198.18.12.0/30:443', '{Server(false, 99999)}', '{Server(false, 443)}' -MaxHops 4 -Timeout 0.3; Trace-TcpRoute {Server(false, 443)} -WhatIf");
        var errors = run.Errors.Select(e => (e.FullyQualifiedErrorId.Split(',')[0], e.CategoryInfo.Category, (string)e.TargetObject)).ToList();
        Assert.Equal(new[]
        {
            ("TargetNotOneHost", ErrorCategory.InvalidArgument, "198.18.12.0/30:443"),
            ("InvalidTarget", ErrorCategory.InvalidArgument, Server(false, 99999)),
        }, errors);
        // One trace (the good target); -WhatIf wrote nothing.
        Assert.Equal(3, run.Items<TcpRouteHop>().Count);
    }

    public void Dispose()
    {
        foreach (string ns in new[] { _client, _r1, _r2, _server })
        {
            Sh.Try("ip", "netns", "del", ns);
        }
    }

    /// <summary>A listener on both families in a namespace, closed with the test.</summary>
    private sealed class Socket4And6 : IDisposable
    {
        private readonly System.Net.Sockets.Socket _v4, _v6;

        public Socket4And6(string ns, int port)
        {
            _v4 = NetworkLab.SocketIn(ns, System.Net.Sockets.AddressFamily.InterNetwork);
            _v4.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, port));
            _v4.Listen(64);
            _v6 = NetworkLab.SocketIn(ns, System.Net.Sockets.AddressFamily.InterNetworkV6);
            _v6.DualMode = false;
            _v6.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Any, port));
            _v6.Listen(64);
        }

        public void Dispose()
        {
            _v4.Dispose();
            _v6.Dispose();
        }
    }
}
