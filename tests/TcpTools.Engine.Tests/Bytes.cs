using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tests;

/// <summary>Hand-made frames and capture files, byte by byte, for tests that must not depend on any tool.</summary>
internal static class Bytes
{
    public static readonly byte[] MacA = { 0x02, 0, 0, 0, 0, 1 };
    public static readonly byte[] MacB = { 0x02, 0, 0, 0, 0, 2 };

    /// <summary>A TCP header (20 bytes + options) followed by payload, checksum left zero.</summary>
    public static byte[] Tcp(ushort sport, ushort dport, uint seq, uint ack, TcpFlags flags, ushort window, byte[]? options = null, byte[]? payload = null)
    {
        options ??= Array.Empty<byte>();
        payload ??= Array.Empty<byte>();
        if (options.Length % 4 != 0)
        {
            throw new ArgumentException("pad options to 4");
        }
        var b = new byte[20 + options.Length + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), ack);
        b[12] = (byte)((20 + options.Length) / 4 << 4);
        b[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(14), window);
        options.CopyTo(b, 20);
        payload.CopyTo(b, 20 + options.Length);
        return b;
    }

    public static byte[] IPv4(byte[] src, byte[] dst, byte protocol, byte[] payload, byte ttl = 64, ushort fragment = 0x4000)
    {
        var b = new byte[20 + payload.Length];
        b[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), fragment);
        b[8] = ttl;
        b[9] = protocol;
        src.CopyTo(b, 12);
        dst.CopyTo(b, 16);
        payload.CopyTo(b, 20);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(10), (ushort)~InternetChecksum.Fold(SumBigEndian(b.AsSpan(0, 20))));
        if (protocol == 6)
        {
            FillTcpChecksum(b, 20, src, dst);
        }
        return b;
    }

    /// <summary>IPv6 with optional raw extension headers (each already carrying its next-header byte).</summary>
    public static byte[] IPv6(byte[] src, byte[] dst, byte nextHeader, byte[] payload, byte hopLimit = 64, byte[]? extensions = null, bool fillTcpChecksum = true)
    {
        extensions ??= Array.Empty<byte>();
        var b = new byte[40 + extensions.Length + payload.Length];
        b[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)(extensions.Length + payload.Length));
        b[6] = nextHeader;
        b[7] = hopLimit;
        src.CopyTo(b, 8);
        dst.CopyTo(b, 24);
        extensions.CopyTo(b, 40);
        payload.CopyTo(b, 40 + extensions.Length);
        if (fillTcpChecksum)
        {
            FillTcpChecksum(b, 40 + extensions.Length, src, dst);
        }
        return b;
    }

    public static byte[] Ethernet(ushort etherType, byte[] payload, params ushort[] vlanIds)
    {
        var b = new List<byte>();
        b.AddRange(MacB);
        b.AddRange(MacA);
        foreach (ushort vlan in vlanIds)
        {
            b.Add(0x81);
            b.Add(0x00);
            b.Add((byte)(vlan >> 8));
            b.Add((byte)vlan);
        }
        b.Add((byte)(etherType >> 8));
        b.Add((byte)etherType);
        b.AddRange(payload);
        return b.ToArray();
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var ms = new MemoryStream();
        foreach (var p in parts)
        {
            ms.Write(p);
        }
        return ms.ToArray();
    }

    public static byte[] V4(string a) => System.Net.IPAddress.Parse(a).GetAddressBytes();

    /// <summary>A classic pcap file.</summary>
    public static byte[] Pcap(LinkType linkType, IEnumerable<(long UnixNs, byte[] Data)> frames, bool nano = false, bool bigEndian = false, int snap = 262144, int? originalLengthDelta = null)
    {
        var ms = new MemoryStream();
        var w = new EndianWriter(ms, bigEndian);
        w.U32(nano ? 0xA1B23C4D : 0xA1B2C3D4);
        w.U16(2);
        w.U16(4);
        w.U32(0);
        w.U32(0);
        w.U32((uint)snap);
        w.U32((uint)linkType);
        foreach (var (ns, data) in frames)
        {
            w.U32((uint)(ns / 1_000_000_000));
            w.U32((uint)(nano ? ns % 1_000_000_000 : ns % 1_000_000_000 / 1000));
            w.U32((uint)data.Length);
            w.U32((uint)(data.Length + (originalLengthDelta ?? 0)));
            ms.Write(data);
        }
        return ms.ToArray();
    }

    public static ulong SumBigEndian(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (data.Length % 2 == 1)
        {
            sum += (ulong)data[^1] << 8;
        }
        return sum;
    }

    /// <summary>Computes the TCP checksum with a straightforward big-endian RFC 1071 sum (independent of the engine's).</summary>
    private static void FillTcpChecksum(byte[] packet, int tcpOffset, byte[] src, byte[] dst)
    {
        int length = packet.Length - tcpOffset;
        var pseudo = new List<byte>();
        pseudo.AddRange(src);
        pseudo.AddRange(dst);
        if (src.Length == 4)
        {
            pseudo.Add(0);
            pseudo.Add(6);
            pseudo.Add((byte)(length >> 8));
            pseudo.Add((byte)length);
        }
        else
        {
            pseudo.AddRange(new byte[] { (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, 0, 0, 0, 6 });
        }
        if (packet[tcpOffset + 12] >> 4 < 5 || length < 20)
        {
            return;
        }
        packet[tcpOffset + 16] = 0;
        packet[tcpOffset + 17] = 0;
        ulong sum = SumBigEndian(pseudo.ToArray()) + SumBigEndian(packet.AsSpan(tcpOffset));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(tcpOffset + 16), (ushort)~InternetChecksum.Fold(sum));
    }
}

/// <summary>Writes integers in a chosen byte order.</summary>
internal sealed class EndianWriter
{
    private readonly Stream _s;
    private readonly bool _big;

    public EndianWriter(Stream s, bool bigEndian)
    {
        _s = s;
        _big = bigEndian;
    }

    public void U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        if (_big) { BinaryPrimitives.WriteUInt16BigEndian(b, v); } else { BinaryPrimitives.WriteUInt16LittleEndian(b, v); }
        _s.Write(b);
    }

    public void U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        if (_big) { BinaryPrimitives.WriteUInt32BigEndian(b, v); } else { BinaryPrimitives.WriteUInt32LittleEndian(b, v); }
        _s.Write(b);
    }

    public void Bytes(ReadOnlySpan<byte> b) => _s.Write(b);
}
