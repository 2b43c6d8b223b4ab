using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace TcpTools.Engine.Capture;

/// <summary>
/// Writes frames to a pcap (nanosecond timestamps) or pcapng file. pcapng gets one interface block per
/// (link type, interface name) seen, with nanosecond resolution, so segments of several interfaces and link types
/// keep both; pcap holds one link type. Appending to pcap continues the file in its own byte order, precision and
/// link type; appending to pcapng adds a new section.
/// </summary>
public sealed class CaptureFileWriter : IDisposable
{
    private const uint PcapMagicNano = 0xa1b23c4d;
    private const uint PcapMagicMicro = 0xa1b2c3d4;
    private const int SnapLength = 262144;

    private readonly Stream _stream;
    private readonly Dictionary<(LinkType, string?), uint> _interfaces = new();
    private byte[] _buffer = new byte[2048];
    private bool _pcapHeaderWritten;
    private LinkType _pcapLinkType;
    private bool _pcapNanoseconds = true;
    private bool _pcapSwapped;

    private CaptureFileWriter(Stream stream, string path, CaptureFileFormat format)
    {
        _stream = stream;
        Path = path;
        Format = format;
    }

    public string Path { get; }

    public CaptureFileFormat Format { get; }

    public long FramesWritten { get; private set; }

    /// <summary>The format an extension implies: .pcapng/.ntar → pcapng, .pcap/.cap/.dmp → pcap; null when it says nothing.</summary>
    public static CaptureFileFormat? FormatFromExtension(string path) => System.IO.Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".PCAPNG" or ".NTAR" or ".SCAP" => CaptureFileFormat.PcapNg,
        ".PCAP" or ".CAP" or ".DMP" => CaptureFileFormat.PcapNanosecond,
        _ => null,
    };

    /// <summary>
    /// Creates (or with <paramref name="append"/> continues) a capture file. <paramref name="format"/> null means:
    /// the existing file's format when appending, else the extension's, else pcapng. Appending to a file of the
    /// other format than the one asked for, or to a file that is not a capture, throws <see cref="CaptureFileException"/>.
    /// </summary>
    public static CaptureFileWriter Open(string path, CaptureFileFormat? format, bool append)
    {
        bool continuing = append && File.Exists(path) && new FileInfo(path).Length > 0;
        var stream = new FileStream(path, continuing ? FileMode.Open : FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        try
        {
            CaptureFileWriter writer;
            if (continuing)
            {
                var existing = Detect(stream, path);
                if (format is { } asked && (asked == CaptureFileFormat.PcapNg) != (existing == CaptureFileFormat.PcapNg))
                {
                    throw new CaptureFileException(CaptureFaultKind.NotACapture, path,
                        existing == CaptureFileFormat.PcapNg ? "The file to append to is pcapng; append with -Format PcapNg." : "The file to append to is pcap; append with -Format Pcap.");
                }
                writer = new CaptureFileWriter(stream, path, existing);
                writer.PrepareAppend();
            }
            else
            {
                var chosen = format ?? FormatFromExtension(path) ?? CaptureFileFormat.PcapNg;
                writer = new CaptureFileWriter(stream, path, chosen == CaptureFileFormat.Pcap ? CaptureFileFormat.PcapNanosecond : chosen);
            }
            if (writer.Format == CaptureFileFormat.PcapNg)
            {
                writer.WriteSectionHeader(); // a new file, or a new section of an existing one
            }
            return writer;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static CaptureFileFormat Detect(Stream stream, string path)
    {
        Span<byte> head = stackalloc byte[4];
        int n = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        uint le = n == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(head) : 0, be = n == 4 ? BinaryPrimitives.ReadUInt32BigEndian(head) : 0;
        return le == 0x0A0D0D0A ? CaptureFileFormat.PcapNg
            : le == PcapMagicNano || be == PcapMagicNano ? CaptureFileFormat.PcapNanosecond
            : le == PcapMagicMicro || be == PcapMagicMicro ? CaptureFileFormat.Pcap
            : throw new CaptureFileException(CaptureFaultKind.NotACapture, path, "The file to append to is not a pcap or pcapng capture.");
    }

    /// <summary>
    /// Writes one frame. For pcap, every frame must have the link type of the first (pcapng has no such limit):
    /// otherwise <see cref="InvalidOperationException"/>, and nothing is written.
    /// </summary>
    public void Write(long unixNanoseconds, LinkType linkType, string? interfaceName, ReadOnlySpan<byte> frame, int originalLength)
    {
        originalLength = Math.Max(originalLength, frame.Length);
        if (Format == CaptureFileFormat.PcapNg)
        {
            WritePcapNg(unixNanoseconds, linkType, interfaceName, frame, originalLength);
        }
        else
        {
            WritePcap(unixNanoseconds, linkType, frame, originalLength);
        }
        FramesWritten++;
    }

    public void Dispose()
    {
        if (Format != CaptureFileFormat.PcapNg && !_pcapHeaderWritten)
        {
            WritePcapHeader(LinkType.Ethernet); // nothing was written: still a valid, empty capture
        }
        _stream.Dispose();
    }

    private void PrepareAppend()
    {
        Span<byte> head = stackalloc byte[24];
        int n = _stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        uint magicLe = n >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(head) : 0;
        if (Format == CaptureFileFormat.PcapNg)
        {
            _stream.Seek(0, SeekOrigin.End); // a new section follows
            return;
        }
        uint magicBe = n >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(head) : 0;
        if (n < 24 || (magicLe is not (PcapMagicNano or PcapMagicMicro) && magicBe is not (PcapMagicNano or PcapMagicMicro)))
        {
            throw new CaptureFileException(CaptureFaultKind.NotACapture, Path,
                magicLe == 0x0A0D0D0A ? "The file to append to is pcapng; append with -Format PcapNg." : "The file to append to is not a pcap file.");
        }
        _pcapSwapped = magicLe is not (PcapMagicNano or PcapMagicMicro);
        uint magic = _pcapSwapped ? magicBe : magicLe;
        _pcapNanoseconds = magic == PcapMagicNano;
        uint network = _pcapSwapped ? BinaryPrimitives.ReadUInt32BigEndian(head[20..]) : BinaryPrimitives.ReadUInt32LittleEndian(head[20..]);
        _pcapLinkType = (LinkType)(ushort)network;
        _pcapHeaderWritten = true;
        _stream.Seek(0, SeekOrigin.End);
    }

    private void WritePcap(long ns, LinkType linkType, ReadOnlySpan<byte> frame, int originalLength)
    {
        if (!_pcapHeaderWritten)
        {
            WritePcapHeader(linkType);
        }
        else if (linkType != _pcapLinkType)
        {
            throw new InvalidOperationException(
                $"This segment's link type is {linkType} ({(ushort)linkType}) but the pcap file holds {_pcapLinkType} ({(ushort)_pcapLinkType}): pcap has one link type per file. Write pcapng (-Format PcapNg, or a .pcapng path) to mix them.");
        }
        WritePcapRecord(ns, frame, originalLength);
    }

    private void WritePcapHeader(LinkType linkType)
    {
        {
            Span<byte> h = stackalloc byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(h, PcapMagicNano);
            BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
            BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
            BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h[16..], SnapLength);
            BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (ushort)linkType);
            _stream.Write(h);
            _pcapLinkType = linkType;
            _pcapHeaderWritten = true;
        }
    }

    private void WritePcapRecord(long ns, ReadOnlySpan<byte> frame, int originalLength)
    {
        long seconds = Math.DivRem(ns, 1_000_000_000L, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000_000L;
        }
        if (!_pcapNanoseconds)
        {
            fraction /= 1000;
        }
        Span<byte> r = stackalloc byte[16];
        Put32(r, (uint)seconds);
        Put32(r[4..], (uint)fraction);
        Put32(r[8..], (uint)frame.Length);
        Put32(r[12..], (uint)originalLength);
        _stream.Write(r);
        _stream.Write(frame);
    }

    private void Put32(Span<byte> to, uint value)
    {
        if (_pcapSwapped)
        {
            BinaryPrimitives.WriteUInt32BigEndian(to, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(to, value);
        }
    }

    private void WritePcapNg(long ns, LinkType linkType, string? interfaceName, ReadOnlySpan<byte> frame, int originalLength)
    {
        if (!_interfaces.TryGetValue((linkType, interfaceName), out uint id))
        {
            id = (uint)_interfaces.Count;
            WriteInterfaceDescription(linkType, interfaceName);
            _interfaces[(linkType, interfaceName)] = id;
        }
        int padded = (frame.Length + 3) & ~3;
        int total = 28 + padded + 4;
        byte[] b = Buffer(total);
        var s = b.AsSpan(0, total);
        s.Clear();
        ulong ticks = unchecked((ulong)ns);
        BinaryPrimitives.WriteUInt32LittleEndian(s, 6);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], id);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], (uint)(ticks >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], (uint)ticks);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)originalLength);
        frame.CopyTo(s[28..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(total - 4)..], (uint)total);
        _stream.Write(s);
    }

    private void WriteSectionHeader()
    {
        byte[] app = Encoding.UTF8.GetBytes($"TcpTools {typeof(CaptureFileWriter).Assembly.GetName().Version}");
        int optionLength = 4 + ((app.Length + 3) & ~3) + 4;
        int total = 24 + optionLength + 4;
        var s = new byte[total].AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, 0x0A0D0D0A);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], 0x1A2B3C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(s[12..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(s[14..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(s[16..], -1);
        BinaryPrimitives.WriteUInt16LittleEndian(s[24..], 4); // shb_userappl
        BinaryPrimitives.WriteUInt16LittleEndian(s[26..], (ushort)app.Length);
        app.CopyTo(s[28..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(total - 4)..], (uint)total);
        _stream.Write(s);
    }

    private void WriteInterfaceDescription(LinkType linkType, string? name)
    {
        byte[] nameBytes = name is null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(name);
        int options = (name is null ? 0 : 4 + ((nameBytes.Length + 3) & ~3)) + 4 + 4 + 4; // if_name, if_tsresol (padded), end
        int total = 16 + options + 4;
        var s = new byte[total].AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)total);
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], (ushort)linkType);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], SnapLength);
        int o = 16;
        if (name is not null)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[o..], 2); // if_name
            BinaryPrimitives.WriteUInt16LittleEndian(s[(o + 2)..], (ushort)nameBytes.Length);
            nameBytes.CopyTo(s[(o + 4)..]);
            o += 4 + ((nameBytes.Length + 3) & ~3);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(s[o..], 9); // if_tsresol: 10^-9
        BinaryPrimitives.WriteUInt16LittleEndian(s[(o + 2)..], 1);
        s[o + 4] = 9;
        o += 8;
        // opt_endofopt: four zero bytes, already zero.
        BinaryPrimitives.WriteUInt32LittleEndian(s[(total - 4)..], (uint)total);
        _stream.Write(s);
    }

    private byte[] Buffer(int size)
    {
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }
        return _buffer;
    }
}
