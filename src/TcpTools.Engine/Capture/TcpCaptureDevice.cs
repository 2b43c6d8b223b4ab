using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace TcpTools;

/// <summary>A network interface libpcap can capture on, as Get-TcpCaptureDevice reports it.</summary>
public sealed class TcpCaptureDevice
{
    internal TcpCaptureDevice(string name, string? description, IReadOnlyList<IPAddress> addresses, string? macAddress, uint flags, LinkType? linkType)
    {
        Name = name;
        Description = description;
        Addresses = new AddressList(addresses.Select(a => a.ToString()).ToArray());
        MacAddress = macAddress;
        Flags = flags;
        LinkType = linkType;
    }

    /// <summary>The name to give -Interface (eth0, lo, any; \Device\NPF_{…} on Windows).</summary>
    public string Name { get; }

    public string? Description { get; }

    /// <summary>The interface's IPv4 and IPv6 addresses as text; as one string (Export-Csv) they read "198.18.0.1, fd00:198:18::1".</summary>
    public AddressList Addresses { get; }

    /// <summary>The hardware address (aa:bb:cc:dd:ee:ff), or null (loopback, tunnels, "any").</summary>
    public string? MacAddress { get; }

    /// <summary>The link type a capture on it produces; null when it could not be opened to ask (not privileged).</summary>
    public LinkType? LinkType { get; }

    /// <summary>pcap_if flags: PCAP_IF_LOOPBACK 1, UP 2, RUNNING 4, WIRELESS 8, connection status in bits 4-5.</summary>
    public uint Flags { get; }

    public bool IsLoopback => (Flags & 0x1) != 0;

    public bool IsUp => (Flags & 0x2) != 0;

    public bool IsRunning => (Flags & 0x4) != 0;

    public bool IsWireless => (Flags & 0x8) != 0;

    public override string ToString() => Name;
}
