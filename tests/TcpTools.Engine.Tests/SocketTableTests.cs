using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Sockets;
using Xunit;

namespace TcpTools.Engine.Tests;

/// <summary>
/// The socket table (issue 13): the three sources' parsers on bytes and lines the kernel writes, the filters, the
/// owner scan on a made-up /proc, and the sources against each other on this process's own loopback sockets.
/// What ss shows in a namespace of every state is SocketTableNamespaceTests' part.
/// </summary>
public class SocketTableTests
{
    [Theory]
    // A listener on 127.0.0.1:8080 (uid 0, inode 12345), as /proc/net/tcp prints it on a little-endian machine.
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0",
        false, "127.0.0.1", 8080, "0.0.0.0", 0, TcpState.Listen, 0u, 5u, TcpSocketTimer.None, 0u, 0u, 12345ul)]
    // TIME_WAIT with 5,950 ms (595 ticks) left on its timer, no inode.
    [InlineData("   3: 0200A8C6:9C40 0100A8C6:0050 06 00000000:00000000 03:00000253 00000000     0        0 0 3 0000000000000000",
        false, "198.168.0.2", 40000, "198.168.0.1", 80, TcpState.TimeWait, 0u, 0u, TcpSocketTimer.TimeWait, 5950u, 0u, 0ul)]
    // IPv6 established, 17 bytes unsent, a retransmission timer of 200 ms (20 ticks), uid 1000.
    // (fd00:198:18::1 is the words fd000198 00180000 0 00000001, each printed as the little-endian u32 it is in memory.)
    [InlineData("   1: 980100FD000018000000000001000000:2710 980100FD000018000000000002000000:D431 01 00000011:00000000 01:00000014 00000002  1000        0 99 2 0000000000000000 20 4 30 10 -1",
        true, "fd00:198:18::1", 10000, "fd00:198:18::2", 54321, TcpState.Established, 17u, 0u, TcpSocketTimer.Retransmit, 200u, 1000u, 99ul)]
    public void ProcNetTcpLines(string line, bool ipv6, string local, int localPort, string remote, int remotePort, TcpState state,
        uint sendQueue, uint receiveQueue, TcpSocketTimer timer, uint expiresMs, uint uid, ulong inode)
    {
        Assert.True(ProcNetTcp.TryParseLine(line, ipv6, out SocketEntry e));
        Assert.Equal(local, e.Local.ToString());
        Assert.Equal(localPort, e.LocalPort);
        Assert.Equal(remote, e.Remote.ToString());
        Assert.Equal(remotePort, e.RemotePort);
        Assert.Equal(state, e.State);
        Assert.Equal(sendQueue, e.SendQueue);
        Assert.Equal(receiveQueue, e.ReceiveQueue);
        Assert.Equal(timer, e.Timer);
        Assert.Equal(expiresMs, e.TimerExpiresMs);
        Assert.Equal(uid, e.Uid);
        Assert.Equal(inode, e.Inode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")]
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A")]
    [InlineData("   0: 0100007:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1")]
    [InlineData("   0: 0100007F:1F90 00000000:0000 7F 00000000:00000000 00:00000000 00000000     0        0 1 1")]
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 0000000000000000 00:00000000 00000000     0        0 1 1")]
    [InlineData("   0: 0100007F:XYZW 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1")]
    public void ProcNetTcpRejectsWhatItCannotRead(string line) => Assert.False(ProcNetTcp.TryParseLine(line, false, out _));

    /// <summary>A struct inet_diag_msg as the kernel writes it, with an INET_DIAG_INFO and an INET_DIAG_CONG attribute.</summary>
    private static byte[] DiagMessage(byte family, byte state, byte[] local, ushort localPort, byte[] remote, ushort remotePort, int infoLength, bool wscale)
    {
        var m = new List<byte>();
        var head = new byte[72];
        head[0] = family;
        head[1] = state;
        head[2] = 2; // keepalive
        head[3] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(4), localPort);
        BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(6), remotePort);
        local.CopyTo(head, 8);
        remote.CopyTo(head, 24);
        MemoryMarshal.Write(head.AsSpan(52), 7_200_000u); // expires, ms
        MemoryMarshal.Write(head.AsSpan(56), 3u);         // rqueue
        MemoryMarshal.Write(head.AsSpan(60), 4u);         // wqueue
        MemoryMarshal.Write(head.AsSpan(64), 1000u);      // uid
        MemoryMarshal.Write(head.AsSpan(68), 4242u);      // inode
        m.AddRange(head);
        if (infoLength > 0)
        {
            var info = new byte[infoLength];
            info[5] = wscale ? (byte)(4 | 1) : (byte)1;  // TCPI_OPT_WSCALE | TCPI_OPT_TIMESTAMPS
            info[6] = (7 << 4) | 9;                       // rcv_wscale 7, snd_wscale 9
            MemoryMarshal.Write(info.AsSpan(8), 204_000u);    // rto, µs
            MemoryMarshal.Write(info.AsSpan(16), 1448u);      // snd_mss
            MemoryMarshal.Write(info.AsSpan(68), 1_250u);     // rtt, µs
            MemoryMarshal.Write(info.AsSpan(72), 625u);       // rttvar
            MemoryMarshal.Write(info.AsSpan(76), 0x7FFF_FFFFu); // ssthresh: infinite
            MemoryMarshal.Write(info.AsSpan(80), 10u);        // cwnd
            MemoryMarshal.Write(info.AsSpan(100), 2u);        // total_retrans
            if (infoLength >= 136)
            {
                MemoryMarshal.Write(info.AsSpan(128), 123_456UL); // bytes_received
            }
            if (infoLength >= 216)
            {
                MemoryMarshal.Write(info.AsSpan(200), 654_321UL); // bytes_sent
            }
            Attribute(m, 2, info);
        }
        Attribute(m, 4, "cubic\0"u8.ToArray());
        return m.ToArray();
    }

    private static void Attribute(List<byte> m, ushort type, byte[] payload)
    {
        var a = new byte[4];
        MemoryMarshal.Write(a, (ushort)(4 + payload.Length));
        MemoryMarshal.Write(a.AsSpan(2), type);
        m.AddRange(a);
        m.AddRange(payload);
        while (m.Count % 4 != 0)
        {
            m.Add(0);
        }
    }

    [Fact]
    public void SockDiagMessageWithInfo()
    {
        byte[] msg = DiagMessage(2, 1, new byte[] { 198, 18, 0, 1 }, 40000, new byte[] { 198, 18, 0, 2 }, 443, infoLength: 232, wscale: true);
        Assert.True(SockDiag.TryParse(msg, out SocketEntry e));
        var socket = new TcpSocket(e, new AddressTextCache(), new[] { 77 }, "curl", null, "sock_diag");
        Assert.Equal("198.18.0.1:40000", socket.Local);
        Assert.Equal("198.18.0.2:443", socket.Remote);
        Assert.Equal(TcpState.Established, socket.State);
        Assert.Equal(TcpSocketTimer.KeepAlive, socket.Timer);
        Assert.Equal(7200m, socket.TimerRemaining);
        Assert.Equal((byte)1, socket.TimerRetransmits);
        Assert.Equal(3u, socket.ReceiveQueue);
        Assert.Equal(4u, socket.SendQueue);
        Assert.Equal(1000u, socket.Uid);
        Assert.Equal(4242ul, socket.Inode);
        Assert.Equal(77, socket.OwningProcess);
        Assert.Equal("curl", socket.ProcessName);
        Assert.Equal(0.00125m, socket.Rtt);
        Assert.Equal(0.000625m, socket.RttVariance);
        Assert.Equal(0.204m, socket.Rto);
        Assert.Equal(1448u, socket.Mss);
        Assert.Equal(10u, socket.CongestionWindow);
        Assert.Null(socket.SlowStartThreshold);
        Assert.Equal(9, socket.SendWindowScale);
        Assert.Equal(7, socket.ReceiveWindowScale);
        Assert.Equal(2u, socket.Retransmissions);
        Assert.Equal(123_456UL, socket.BytesReceived);
        Assert.Equal(654_321UL, socket.BytesSent);
        Assert.Equal("cubic", socket.CongestionControl);
    }

    [Fact]
    public void SockDiagFieldsAnOlderKernelDoesNotSendAreNull()
    {
        // 104 bytes: tcp_info as Linux 2.6 had it, up to total_retrans; nothing after it.
        byte[] msg = DiagMessage(10, 8, IPAddress.Parse("fd00:198:18::1").GetAddressBytes(), 443, IPAddress.Parse("fd00:198:18::2").GetAddressBytes(), 50000, infoLength: 104, wscale: false);
        Assert.True(SockDiag.TryParse(msg, out SocketEntry e));
        var socket = new TcpSocket(e, new AddressTextCache(), null, null, null, "sock_diag");
        Assert.Equal(6, socket.IPVersion);
        Assert.Equal("[fd00:198:18::1]:443", socket.Local);
        Assert.Equal(TcpState.CloseWait, socket.State);
        Assert.Equal(1448u, socket.Mss);
        Assert.Null(socket.SendWindowScale);
        Assert.Null(socket.BytesReceived);
        Assert.Null(socket.BytesSent);
        Assert.Null(socket.SendWindow);
        Assert.Null(socket.OwningProcess);
    }

    [Fact]
    public void SockDiagRejectsShortAndUnknown()
    {
        byte[] msg = DiagMessage(2, 1, new byte[4], 1, new byte[4], 2, 0, false);
        Assert.False(SockDiag.TryParse(msg.AsSpan(0, 71), out _));
        msg[1] = 99; // no such state
        Assert.False(SockDiag.TryParse(msg, out _));
        msg[1] = 1;
        msg[0] = 7; // no such family
        Assert.False(SockDiag.TryParse(msg, out _));
        // An attribute that claims more than the message holds ends the attributes, not the socket.
        byte[] bad = DiagMessage(2, 1, new byte[4], 1, new byte[4], 2, 232, false);
        MemoryMarshal.Write(bad.AsSpan(72), (ushort)60_000);
        Assert.True(SockDiag.TryParse(bad, out SocketEntry e));
        Assert.Null(e.Info);
    }

    [Theory]
    [InlineData("198.18.0.1", "198.18.0.1", true)]
    [InlineData("198.18.0.1", "198.18.0.2", false)]
    [InlineData("198.18.0.0/15", "198.19.255.255", true)]
    [InlineData("198.18.0.0/15", "198.20.0.0", false)]
    [InlineData("198.18.0.77/15", "198.19.1.1", true)] // bits past the prefix are ignored, as ip route reads it
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("198.18.0.1", "::ffff:198.18.0.1", true)] // an IPv6 socket talking IPv4
    [InlineData("fd00:198:18::/64", "fd00:198:18::2", true)]
    [InlineData("fd00:198:18::/64", "fd00:198:19::2", false)]
    [InlineData("[fd00:198:18::1]", "fd00:198:18::1", true)]
    [InlineData("fd00:198:18::1/128", "fd00:198:18::1", true)]
    [InlineData("fd00::/8", "fdff::1", true)]
    [InlineData("::/0", "198.18.0.1", false)]
    public void PrefixesMatch(string filter, string address, bool expected)
    {
        Assert.True(AddressPrefix.TryParse(filter, out IPNetwork network, out string? error), error);
        Assert.Equal(expected, new AddressPrefix(network).Contains(IPAddressValue.FromIPAddress(IPAddress.Parse(address))));
    }

    [Theory]
    [InlineData("web01")]
    [InlineData("198.18.0.1/33")]
    [InlineData("198.18.0.1/")]
    [InlineData("fd00::1/129")]
    [InlineData("")]
    [InlineData("fe80::1%eth0")]
    public void PrefixErrorsSayWhatToWrite(string text)
    {
        Assert.False(AddressPrefix.TryParse(text, out _, out string? error));
        Assert.Contains(text.Length == 0 ? "not an IP address" : text, error);
    }

    [Fact]
    public void OwnersFromAMadeUpProc()
    {
        string root = Path.Combine(Path.GetTempPath(), $"tt-proc-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "100", "fd"));
            Directory.CreateDirectory(Path.Combine(root, "200", "fd"));
            Directory.CreateDirectory(Path.Combine(root, "self"));
            File.WriteAllText(Path.Combine(root, "100", "comm"), "nginx\n");
            File.WriteAllText(Path.Combine(root, "200", "comm"), "nginx\n");
            File.CreateSymbolicLink(Path.Combine(root, "100", "fd", "3"), "socket:[5001]");
            File.CreateSymbolicLink(Path.Combine(root, "100", "fd", "4"), "/dev/null");
            File.CreateSymbolicLink(Path.Combine(root, "100", "fd", "5"), "socket:[5002]");
            File.CreateSymbolicLink(Path.Combine(root, "100", "fd", "6"), "pipe:[5003]");
            File.CreateSymbolicLink(Path.Combine(root, "200", "fd", "7"), "socket:[5001]"); // a forked worker shares the listener
            File.CreateSymbolicLink(Path.Combine(root, "200", "fd", "8"), "socket:[12x]");
            // 300 has exited: its directory is gone by the time its fds are read.
            var owners = SocketOwners.Scan(new HashSet<ulong> { 5001, 5002, 9999 }, root, out int denied);
            Assert.Equal(0, denied);
            Assert.Equal(new[] { 100, 200 }, owners[5001]);
            Assert.Equal(new[] { 100 }, owners[5002]);
            Assert.False(owners.ContainsKey(9999));
            Assert.False(owners.ContainsKey(5003));
            Assert.Equal("nginx", SocketOwners.ProcessName(root, 100));
            Assert.Null(SocketOwners.ProcessName(root, 300));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A listener, and a connection to it, on this process's loopback: every source finds them, each as it can.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EachSourceFindsThisProcessSockets(bool ipv6)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        IPAddress loopback = ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        using var listener = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(loopback, 0));
        listener.Listen(4);
        using var client = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        client.Send(new byte[100]);
        var serverEnd = (IPEndPoint)listener.LocalEndPoint!;
        var clientEnd = (IPEndPoint)client.LocalEndPoint!;
        var ports = new ushort[] { (ushort)serverEnd.Port };

        var diag = TcpSocketTable.Read(new TcpSocketQuery { Ports = ports, Source = TcpSocketSource.SockDiag });
        Assert.Equal("sock_diag", diag.Source);
        Assert.Null(diag.FallbackReason);
        var proc = TcpSocketTable.Read(new TcpSocketQuery { Ports = ports, Source = TcpSocketSource.ProcNet });
        Assert.Equal("/proc/net/tcp", proc.Source);
        var dotnet = TcpSocketTable.Read(new TcpSocketQuery { Ports = ports, Source = TcpSocketSource.DotNet });

        foreach (var snapshot in new[] { diag, proc, dotnet })
        {
            var listen = Assert.Single(snapshot.Sockets, s => s.State == TcpState.Listen);
            Assert.Equal(serverEnd.Port, listen.LocalPort);
            var c = Assert.Single(snapshot.Sockets, s => s.LocalPort == clientEnd.Port);
            Assert.Equal(TcpState.Established, c.State);
            Assert.Equal(serverEnd.Port, c.RemotePort);
            Assert.Equal(loopback.ToString(), c.RemoteAddress);
            var s = Assert.Single(snapshot.Sockets, s => s.LocalPort == serverEnd.Port && s.State == TcpState.Established);
            Assert.Equal(clientEnd.Port, s.RemotePort);
            Assert.Equal(3, snapshot.Sockets.Count);
        }
        foreach (var snapshot in new[] { diag, proc })
        {
            Assert.All(snapshot.Sockets, s => Assert.Equal(Environment.ProcessId, s.OwningProcess));
            Assert.All(snapshot.Sockets, s => Assert.NotNull(s.Inode));
            Assert.Equal(diag.Sockets.Select(s => s.Inode).OrderBy(i => i), snapshot.Sockets.Select(s => s.Inode).OrderBy(i => i));
        }
        Assert.All(dotnet.Sockets, s => Assert.Null(s.OwningProcess));
        Assert.True(dotnet.OwnersUnsupported);
        // tcp_info only from sock_diag: the established ends have a round-trip time and an MSS.
        var withInfo = diag.Sockets.Where(s => s.State == TcpState.Established).ToList();
        Assert.All(withInfo, s => Assert.True(s.Mss > 0 && s.Rtt > 0 && s.CongestionControl is { Length: > 0 }));
        Assert.Contains(withInfo, s => s.BytesSent == 100 || s.BytesReceived == 100);
        Assert.All(proc.Sockets, s => Assert.Null(s.Rtt));
    }

    [Fact]
    public void FiltersCombine()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        ushort port = (ushort)((IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        ushort clientPort = (ushort)((IPEndPoint)client.LocalEndPoint!).Port;
        Assert.True(AddressPrefix.TryParse("127.0.0.0/8", out IPNetwork loop8, out _));
        Assert.True(AddressPrefix.TryParse("198.18.0.0/15", out IPNetwork test15, out _));

        int Count(TcpSocketQuery q) => TcpSocketTable.Read(q).Sockets.Count;
        Assert.Equal(1, Count(new TcpSocketQuery { LocalPorts = new[] { port }, States = new[] { TcpState.Listen } }));
        Assert.Equal(2, Count(new TcpSocketQuery { LocalPorts = new[] { port } }));
        Assert.Equal(1, Count(new TcpSocketQuery { RemotePorts = new[] { port } }));
        Assert.Equal(3, Count(new TcpSocketQuery { Ports = new[] { port } }));
        Assert.Equal(3, Count(new TcpSocketQuery { Ports = new[] { port }, LocalAddresses = new[] { loop8 } }));
        Assert.Equal(0, Count(new TcpSocketQuery { Ports = new[] { port }, RemoteAddresses = new[] { test15 } }));
        Assert.Equal(3, Count(new TcpSocketQuery { Ports = new[] { port }, OwningProcesses = new[] { Environment.ProcessId } }));
        Assert.Equal(0, Count(new TcpSocketQuery { Ports = new[] { port }, OwningProcesses = new[] { int.MaxValue } }));
        var server127 = new TcpEndpointFilter(loop8, port);
        var clientEnd = new TcpEndpointFilter(loop8, clientPort);
        Assert.Equal(3, Count(new TcpSocketQuery { Servers = new[] { server127 } })); // the listener too
        Assert.Equal(2, Count(new TcpSocketQuery { Servers = new[] { server127 }, Clients = new[] { clientEnd } }));
        Assert.Equal(2, Count(new TcpSocketQuery { Ports = new[] { port }, States = new[] { TcpState.Established } }));
        var noOwners = TcpSocketTable.Read(new TcpSocketQuery { Ports = new[] { port }, IncludeOwners = false, IncludeInfo = false });
        Assert.All(noOwners.Sockets, s => Assert.Null(s.OwningProcess));
        Assert.All(noOwners.Sockets, s => Assert.Null(s.Rtt));
    }

    [Fact]
    public void WaiterHoldsOrTimesOut()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        ushort port = (ushort)((IPEndPoint)listener.LocalEndPoint!).Port;
        var query = new TcpSocketQuery { Ports = new[] { port } };

        var listening = new TcpStateWaiter(query) { States = new[] { TcpState.Listen } }.Wait(TimeSpan.FromSeconds(5), default);
        Assert.True(listening.Satisfied);
        Assert.Equal(TcpState.Listen, Assert.Single(listening.Sockets).State);
        Assert.Equal(Environment.ProcessId, listening.Sockets[0].OwningProcess);

        var noCloseWait = new TcpStateWaiter(query) { NotStates = new[] { TcpState.CloseWait } }.Wait(TimeSpan.Zero, default);
        Assert.True(noCloseWait.Satisfied);
        Assert.Equal(1, noCloseWait.Polls);

        var established = new TcpStateWaiter(query) { States = new[] { TcpState.Established } }.Wait(TimeSpan.FromMilliseconds(50), default);
        Assert.False(established.Satisfied);
        Assert.True(established.Polls >= 2);
        Assert.Equal(TcpState.Listen, Assert.Single(established.Sockets).State); // what matched when time ran out

        var notListening = new TcpStateWaiter(query) { NotStates = new[] { TcpState.Listen } }.Wait(TimeSpan.FromMilliseconds(30), default);
        Assert.False(notListening.Satisfied);

        using var cancel = new System.Threading.CancellationTokenSource();
        cancel.Cancel();
        Assert.False(new TcpStateWaiter(query) { States = new[] { TcpState.TimeWait } }.Wait(TimeSpan.FromSeconds(30), cancel.Token).Satisfied);
    }
}
