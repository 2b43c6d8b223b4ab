using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Probing;

/// <summary>What to put in a crafted TCP segment (mutable, so a sender can reuse one per packet).</summary>
public sealed class TcpSegmentSpec
{
    public required IPAddress Source { get; set; }
    public required IPAddress Destination { get; set; }
    public ushort SourcePort { get; set; }
    public ushort DestinationPort { get; set; }
    public uint SequenceNumber { get; set; }
    public uint AcknowledgmentNumber { get; set; }
    public TcpFlags Flags { get; set; }
    public ushort Window { get; set; } = 64240;
    public ushort UrgentPointer { get; set; }

    /// <summary>Raw TCP option bytes (padded to 4 by the builder with end-of-options), at most 40.</summary>
    public byte[] Options { get; set; } = Array.Empty<byte>();

    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte Ttl { get; set; } = 64;

    /// <summary>IPv4 identification (random when null).</summary>
    public ushort? IPId { get; set; }

    public byte[] Payload { get; set; } = Array.Empty<byte>();
}

/// <summary>Builds IPv4/IPv6 TCP packets (checksums computed) and Ethernet frames around them. No allocation per packet.</summary>
public static class PacketBuilder
{
    /// <summary>The options of a Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale 7 (so answers carry theirs).</summary>
    public static byte[] SynOptions(ushort mss, uint timestamp) => new byte[]
    {
        2, 4, (byte)(mss >> 8), (byte)mss,
        4, 2,
        8, 10, (byte)(timestamp >> 24), (byte)(timestamp >> 16), (byte)(timestamp >> 8), (byte)timestamp, 0, 0, 0, 0,
        1,
        3, 3, 7,
    };

    /// <summary>Length of the IP packet the spec makes.</summary>
    public static int IPPacketLength(TcpSegmentSpec spec) =>
        (spec.Source.AddressFamily == AddressFamily.InterNetworkV6 ? 40 : 20) + 20 + ((spec.Options.Length + 3) & ~3) + spec.Payload.Length;

    /// <summary>Writes the IP packet (IPv4 or IPv6 header, TCP header, options, payload) into <paramref name="to"/>; returns its length.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // per packet
    public static int WriteIPPacket(TcpSegmentSpec spec, Span<byte> to)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Source.AddressFamily != spec.Destination.AddressFamily)
        {
            throw new ArgumentException("Source and destination must both be IPv4 or both IPv6.", nameof(spec));
        }
        if (spec.Options.Length > 40)
        {
            throw new ArgumentException("TCP options are at most 40 bytes.", nameof(spec));
        }
        bool v6 = spec.Source.AddressFamily == AddressFamily.InterNetworkV6;
        int ipLength = v6 ? 40 : 20;
        int optionLength = (spec.Options.Length + 3) & ~3;
        int tcpLength = 20 + optionLength + spec.Payload.Length;
        int total = ipLength + tcpLength;
        if (to.Length < total)
        {
            throw new ArgumentException("Buffer too small.", nameof(to));
        }
        var packet = to[..total];
        packet.Clear();
        Span<byte> src = stackalloc byte[16], dst = stackalloc byte[16];
        int addressLength = v6 ? 16 : 4;
        spec.Source.TryWriteBytes(src, out _);
        spec.Destination.TryWriteBytes(dst, out _);
        if (v6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)tcpLength);
            packet[6] = 6;
            packet[7] = spec.Ttl;
            src[..16].CopyTo(packet[8..]);
            dst[..16].CopyTo(packet[24..]);
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)total);
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], spec.IPId ?? (ushort)Random.Shared.Next(0x10000));
            BinaryPrimitives.WriteUInt16BigEndian(packet[6..], 0x4000); // don't fragment
            packet[8] = spec.Ttl;
            packet[9] = 6;
            src[..4].CopyTo(packet[12..]);
            dst[..4].CopyTo(packet[16..]);
            // The sum is in native byte order, so it is stored in native order (RFC 1071 §2(B)).
            System.Runtime.InteropServices.MemoryMarshal.Write(packet[10..], (ushort)~InternetChecksum.Fold(InternetChecksum.Add(packet[..20], 0)));
        }
        var tcp = packet[ipLength..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, spec.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], spec.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], spec.SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], spec.AcknowledgmentNumber);
        tcp[12] = (byte)((20 + optionLength) / 4 << 4);
        tcp[13] = (byte)spec.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], spec.Window);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[18..], spec.UrgentPointer);
        spec.Options.CopyTo(tcp[20..]);
        spec.Payload.CopyTo(tcp[(20 + optionLength)..]);
        WriteTcpChecksum(tcp, src[..addressLength], dst[..addressLength]);
        return total;
    }

    /// <summary>Computes and stores the TCP checksum of <paramref name="tcp"/> (header + payload) with the pseudo-header.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // per packet
    public static void WriteTcpChecksum(Span<byte> tcp, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        tcp[16] = 0;
        tcp[17] = 0;
        Span<byte> pseudo = stackalloc byte[40];
        int n;
        if (source.Length == 4)
        {
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo[4..]);
            pseudo[8] = 0;
            pseudo[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)tcp.Length);
            n = 12;
        }
        else
        {
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo[16..]);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)tcp.Length);
            pseudo[36] = 0;
            pseudo[37] = 0;
            pseudo[38] = 0;
            pseudo[39] = 6;
            n = 40;
        }
        ulong sum = InternetChecksum.Add(pseudo[..n], 0);
        sum = InternetChecksum.Add(tcp, sum);
        System.Runtime.InteropServices.MemoryMarshal.Write(tcp[16..], (ushort)~InternetChecksum.Fold(sum)); // native order, as summed
    }

    /// <summary>Writes an Ethernet II header; returns 14.</summary>
    public static int WriteEthernet(Span<byte> to, ReadOnlySpan<byte> destinationMac, ReadOnlySpan<byte> sourceMac, ushort etherType)
    {
        destinationMac.CopyTo(to);
        sourceMac.CopyTo(to[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(to[12..], etherType);
        return 14;
    }
}
