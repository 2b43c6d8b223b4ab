using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;

namespace TcpTools.PowerShell.Tests.Lab;

/// <summary>
/// Two hosts with real Linux TCP stacks: network namespaces "tt…c" (client) and "tt…s" (server) joined by a veth
/// pair, with 198.18.0.1/24 and fd00:198:18::1/64 on the client and .2/::2 on the server. Nothing else is touched:
/// packets only ever go between these two addresses. Dispose deletes both namespaces (killing whatever runs in
/// them), also when the test failed; stale ones from a crashed run are removed on the next start.
/// </summary>
internal sealed class NetworkLab : IDisposable
{
    public const string ClientV4 = "198.18.0.1";
    public const string ServerV4 = "198.18.0.2";
    public const string ClientV6 = "fd00:198:18::1";
    public const string ServerV6 = "fd00:198:18::2";
    private const int CloneNewNet = 0x40000000;
    private static int s_counter;

    private readonly List<IDisposable> _owned = new();

    public NetworkLab()
    {
        RemoveStale();
        int n = Interlocked.Increment(ref s_counter);
        string tag = $"{Environment.ProcessId % 100000}{n}";
        Client = $"ttl{tag}c";
        Server = $"ttl{tag}s";
        ClientVeth = $"tt{tag}c";
        ServerVeth = $"tt{tag}s";
        try
        {
            Sh.Run("ip", "netns", "add", Client);
            Sh.Run("ip", "netns", "add", Server);
            Sh.Run("ip", "link", "add", ClientVeth, "netns", Client, "type", "veth", "peer", "name", ServerVeth, "netns", Server);
            Setup(Client, ClientVeth, ClientV4, ClientV6);
            Setup(Server, ServerVeth, ServerV4, ServerV6);
            WaitForIPv6(Client);
            WaitForIPv6(Server);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>True when this process can build namespaces: root, with ip on the PATH.</summary>
    public static bool CanRun => Environment.UserName == "root" && Sh.Exists("ip");

    public string Client { get; }
    public string Server { get; }
    public string ClientVeth { get; }
    public string ServerVeth { get; }

    public static IPAddress Address(bool client, bool ipv6) => IPAddress.Parse(client ? (ipv6 ? ClientV6 : ClientV4) : (ipv6 ? ServerV6 : ServerV4));

    /// <summary>Runs a program inside a namespace.</summary>
    public string Exec(string ns, params string[] args) => Sh.Run("ip", new[] { "netns", "exec", ns }.Concat(args).ToArray());

    /// <summary>Adds nftables rules in a namespace (its own table, removed with the namespace).</summary>
    public void Nft(string ns, string ruleset)
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, ruleset);
        try
        {
            Exec(ns, "nft", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A TCP socket created inside the namespace (a socket belongs to the namespace it was created in).</summary>
    public Socket Socket(string ns, bool ipv6)
    {
        var socket = SocketIn(ns, ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        _owned.Add(socket);
        return socket;
    }

    /// <summary>A TCP socket created in namespace <paramref name="ns"/> (on a short-lived thread that enters it); the caller owns it.</summary>
    public static Socket SocketIn(string ns, AddressFamily family)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                EnterOnThisThread(ns);
                socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return error is null ? socket! : throw error;
    }

    /// <summary>Moves the calling thread into a namespace (network namespaces are per thread): for a dedicated thread only.</summary>
    public static void EnterOnThisThread(string ns)
    {
        using var handle = File.OpenHandle($"/run/netns/{ns}");
        if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>A listening socket on the server (or client) address.</summary>
    public Socket Listen(string ns, bool ipv6, int port)
    {
        var s = Socket(ns, ipv6);
        s.Bind(new IPEndPoint(Address(ns == Client, ipv6), port));
        s.Listen(64);
        return s;
    }

    /// <summary>Starts tcpdump on a namespace's veth, writing a pcap; stop it with <see cref="Capture.Stop"/>.</summary>
    public Capture StartCapture(string ns, string file, string filter = "tcp")
    {
        var capture = new Capture(ns, ns == Client ? ClientVeth : ServerVeth, file, filter);
        _owned.Add(capture);
        return capture;
    }

    /// <summary>The TCP sockets of a namespace as ss shows them (LISTEN excluded): state, local and peer endpoints.</summary>
    public List<(TcpState State, IPEndPoint Local, IPEndPoint Peer)> Sockets(string ns)
    {
        var result = new List<(TcpState, IPEndPoint, IPEndPoint)>();
        foreach (string line in Exec(ns, "ss", "-tanH").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length < 5 || cols[0] == "LISTEN")
            {
                continue;
            }
            result.Add((SsState(cols[0]), IPEndPoint.Parse(cols[3]), IPEndPoint.Parse(cols[4])));
        }
        return result;
    }

    /// <summary>The state ss shows for a 4-tuple in a namespace, CLOSED when it shows none.</summary>
    public TcpState StateOf(string ns, IPEndPoint local, IPEndPoint peer) =>
        Sockets(ns).Where(s => s.Local.Equals(local) && s.Peer.Equals(peer)).Select(s => s.State).DefaultIfEmpty(TcpState.Closed).First();

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(_owned))
        {
            try
            {
                d.Dispose();
            }
            catch (Exception)
            {
                // best effort: the namespace deletion below ends whatever is left
            }
        }
        Delete(Client);
        Delete(Server);
    }

    internal static TcpState SsState(string s) => s switch
    {
        "ESTAB" => TcpState.Established,
        "SYN-SENT" => TcpState.SynSent,
        "SYN-RECV" => TcpState.SynReceived,
        "FIN-WAIT-1" => TcpState.FinWait1,
        "FIN-WAIT-2" => TcpState.FinWait2,
        "CLOSE-WAIT" => TcpState.CloseWait,
        "CLOSING" => TcpState.Closing,
        "LAST-ACK" => TcpState.LastAck,
        "TIME-WAIT" => TcpState.TimeWait,
        _ => TcpState.Closed,
    };

    private void Setup(string ns, string veth, string v4, string v6)
    {
        Exec(ns, "ip", "link", "set", "lo", "up");
        Exec(ns, "ip", "addr", "add", v4 + "/24", "dev", veth);
        Exec(ns, "ip", "-6", "addr", "add", v6 + "/64", "dev", veth, "nodad");
        Exec(ns, "ip", "link", "set", veth, "up");
        // Wire-sized segments in captures: no TSO/GSO/GRO on the veth (ethtool is optional).
        if (Sh.Exists("ethtool"))
        {
            Sh.Try("ip", "netns", "exec", ns, "ethtool", "-K", veth, "tso", "off", "gso", "off", "gro", "off");
        }
    }

    private void WaitForIPv6(string ns)
    {
        for (int i = 0; i < 50; i++)
        {
            if (!Exec(ns, "ip", "-6", "addr", "show", "tentative").Contains("inet6", StringComparison.Ordinal))
            {
                return;
            }
            Thread.Sleep(50);
        }
    }

    private static void Delete(string ns)
    {
        if (!File.Exists($"/run/netns/{ns}"))
        {
            return;
        }
        var (_, pids, _) = Sh.Try("ip", "netns", "pids", ns);
        foreach (string pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Sh.Try("kill", "-KILL", pid.Trim());
        }
        Sh.Try("ip", "netns", "del", ns);
    }

    /// <summary>Namespaces of lab runs whose process is gone (ttl&lt;pid&gt;…).</summary>
    private static void RemoveStale()
    {
        if (!Directory.Exists("/run/netns"))
        {
            return;
        }
        foreach (string path in Directory.GetFiles("/run/netns", "ttl*"))
        {
            string name = Path.GetFileName(path);
            string digits = new(name.Skip(3).TakeWhile(char.IsDigit).ToArray());
            // The tag is pid%100000 then a counter: a namespace is stale if no live process could have made it.
            bool ours = digits.StartsWith((Environment.ProcessId % 100000).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            if (!ours && File.GetCreationTimeUtc(path) < DateTime.UtcNow.AddMinutes(-30))
            {
                Delete(name);
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
