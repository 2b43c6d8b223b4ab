using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using TcpTools.Engine.Capture;

namespace TcpTools.Engine.Probing;

/// <summary>
/// What sends and receives on one interface: a pcap capture (answers; and frames out on Ethernet) and, on
/// loopback, raw IP sockets (a frame injected on lo is captured but never delivered to the stack).
/// </summary>
internal sealed class ProbeChannel : IDisposable
{
    private Socket? _raw4;
    private Socket? _raw6;
    private IPEndPoint? _lastDestination; // raw sockets: reused while the destination stays the same

    private ProbeChannel(string name, LiveCapture capture, bool loopback, byte[]? mac)
    {
        Name = name;
        Capture = capture;
        Loopback = loopback;
        Mac = mac;
    }

    public string Name { get; }
    public LiveCapture Capture { get; }
    public bool Loopback { get; }
    public byte[]? Mac { get; }

    /// <summary>Opens the route's interface with a capture that keeps what <paramref name="filter"/> selects.</summary>
    public static ProbeChannel Open(ProbeRoute route, string filter)
    {
        var capture = LiveCapture.Open(new LiveCaptureOptions
        {
            Interfaces = new[] { route.Interface },
            Filter = filter,
            // Answers are headers: a SYN-ACK with options, an ICMP error quoting a probe. 256 bytes hold them,
            // and 16 MiB of ring then holds ~50,000 answers (over 100 ms at the fastest rate seen here), where
            // the 64 MiB default cost a quarter of a second of page clearing on every scan's start.
            SnapLength = 256,
            BufferSize = 16 << 20,
            ReadTimeout = 1,
        });
        return new ProbeChannel(route.Interface, capture, route.Loopback, route.SourceMac);
    }

    /// <summary>Builds and sends a segment (to <paramref name="mac"/> on Ethernet).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per packet
    public void SendSegment(TcpSegmentSpec spec, byte[]? mac, byte[] buffer)
    {
        int length = PacketBuilder.WriteIPPacket(spec, buffer.AsSpan(14));
        SendIPPacket(buffer, length, spec.Source, spec.Destination, mac);
    }

    /// <summary>
    /// Sends the IP packet held in <paramref name="buffer"/> from offset 14 (the first 14 bytes are room for the
    /// Ethernet header): on Ethernet with pcap, on loopback (and to this host's own addresses) through a raw socket
    /// that takes the whole IP header, so the source may be any address.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per packet
    public void SendIPPacket(byte[] buffer, int ipLength, IPAddress source, IPAddress destination, byte[]? mac)
    {
        bool v6 = destination.AddressFamily == AddressFamily.InterNetworkV6;
        if (!Loopback)
        {
            PacketBuilder.WriteEthernet(buffer, mac!, Mac!, v6 ? (ushort)0x86DD : (ushort)0x0800);
            Capture.Send(0, buffer.AsSpan(0, 14 + ipLength));
            return;
        }
        try
        {
            if (v6)
            {
                // IPPROTO_RAW: the packet carries its own IPv6 header, so any source (a spoofed one for a RST) goes.
                _raw6 ??= RawSocket(AddressFamily.InterNetworkV6);
                _raw6.SendTo(buffer.AsSpan(14, ipLength), SocketFlags.None, EndPoint(destination));
            }
            else
            {
                _raw4 ??= RawSocket(AddressFamily.InterNetwork);
                _raw4.SendTo(buffer.AsSpan(14, ipLength), SocketFlags.None, EndPoint(destination));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AccessDenied)
        {
            throw new CaptureDeviceException(CaptureDeviceFault.PermissionDenied, Name, $"Not permitted to send raw packets on '{Name}'. {CaptureDeviceException.PermissionHint}", inner: e);
        }
        catch (SocketException e)
        {
            throw new CaptureDeviceException(CaptureDeviceFault.SendFailed, Name, $"Sending to {destination} through a raw socket failed: {e.Message}", inner: e);
        }
    }

    private IPEndPoint EndPoint(IPAddress destination) =>
        _lastDestination is { } last && last.Address.Equals(destination) ? last : _lastDestination = new IPEndPoint(destination, 0);

    public void Dispose()
    {
        _raw4?.Dispose();
        _raw6?.Dispose();
        Capture.Dispose();
    }

    private Socket RawSocket(AddressFamily family)
    {
        try
        {
            if (family == AddressFamily.InterNetworkV6)
            {
                return new Socket(family, SocketType.Raw, ProtocolType.Raw); // IPV6_HDRINCL implied
            }
            var s = new Socket(family, SocketType.Raw, ProtocolType.Tcp);
            s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.HeaderIncluded, true);
            return s;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AccessDenied or SocketError.OperationNotSupported)
        {
            throw new CaptureDeviceException(CaptureDeviceFault.PermissionDenied, Name, $"Not permitted to open a raw socket for '{Name}'. {CaptureDeviceException.PermissionHint}", inner: e);
        }
    }
}
