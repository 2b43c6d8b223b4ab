using System;
using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace TcpTools.Engine.Capture;

/// <summary>
/// Reads frames from a pcap (micro- or nanosecond) or pcapng file (any number of sections and interfaces).
/// One buffer for the whole file: a frame's bytes are handed out as a span into it, valid until the next read,
/// so reading allocates nothing per frame. Faults throw <see cref="CaptureFileException"/>; every frame
/// before the fault has been handed out.
/// </summary>
public sealed class CaptureFileReader : IDisposable
{
    // Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD: no real link delivers more in one frame, so a record that
    // claims more is corrupt rather than big.
    internal const int MaxFrameLength = 262_144;

    // Wireshark's pcapng MAX_BLOCK_SIZE: a block claiming more is corrupt.
    private const int MaxBlockLength = 16 * 1024 * 1024;

    private const uint PcapMagicMicro = 0xA1B2C3D4;
    private const uint PcapMagicNano = 0xA1B23C4D;
    private const uint PcapNgSectionHeader = 0x0A0D0D0A;
    private const uint PcapNgByteOrderMagic = 0x1A2B3C4D;
    private const uint BlockInterfaceDescription = 1;
    private const uint BlockPacketObsolete = 2;
    private const uint BlockSimplePacket = 3;
    private const uint BlockEnhancedPacket = 6;
    private const uint BlockSystemdJournalExport = 9;
    private const uint BlockCustomCopiable = 0x00000BAD;
    private const uint BlockCustomNotCopiable = 0x40000BAD;
    private const uint BlockSysdigEvent = 0x204;
    private const uint BlockSysdigEventV2 = 0x216;
    private const uint BlockSysdigEventV2Large = 0x221;
    private const ushort OptionEnd = 0;
    private const ushort OptionIfName = 2;
    private const ushort OptionIfTsResol = 9;
    private const ushort OptionIfTsOffset = 14;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private const int DefaultBufferSize = 1 << 20;

    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _eof;
    private bool _bigEndian;
    private bool _nanosecond;
    private long _frameNumber;
    private readonly List<CaptureInterface> _interfaces = new();

    private CaptureFileReader(Stream stream, string path, bool ownsStream, int bufferSize)
    {
        _buffer = new byte[bufferSize];
        _stream = stream;
        Path = path;
        _ownsStream = ownsStream;
        Length = stream.CanSeek ? stream.Length : -1;
    }

    /// <summary>Opens a file and reads its header. File-system errors (not found, access denied) propagate as IOException.</summary>
    public static CaptureFileReader Open(string path) => Open(path, DefaultBufferSize);

    /// <summary>
    /// As <see cref="Open(string)"/>, reading <paramref name="bufferSize"/> bytes at a time (it grows for a larger
    /// frame): a small one suits a glance at the first frames.
    /// </summary>
    public static CaptureFileReader Open(string path, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 64);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
        try
        {
            var reader = new CaptureFileReader(stream, path, ownsStream: true, bufferSize);
            reader.ReadFileHeader();
            return reader;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a capture from any stream; <paramref name="path"/> names it in errors.</summary>
    public static CaptureFileReader Open(Stream stream, string path, bool ownsStream = false)
    {
        var reader = new CaptureFileReader(stream, path, ownsStream, DefaultBufferSize);
        reader.ReadFileHeader();
        return reader;
    }

    /// <summary>The file name used in errors.</summary>
    public string Path { get; }

    public CaptureFileFormat Format { get; private set; }

    /// <summary>Length of the file in bytes, or -1 when the stream cannot tell.</summary>
    public long Length { get; }

    /// <summary>Offset of the next unread byte; with <see cref="Length"/> it gives progress.</summary>
    public long Position => _bufferOffset + _start;

    /// <summary>Frames handed out so far (the number of the last one).</summary>
    public long FrameCount => _frameNumber;

    /// <summary>The interfaces of the current section (pcap: exactly one).</summary>
    public IReadOnlyList<CaptureInterface> Interfaces => _interfaces;

    /// <summary>
    /// Reads the next frame. Returns false at the clean end of the file. The span is valid until the next call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public bool TryReadNext(out CapturedFrame frame, out ReadOnlySpan<byte> data)
    {
        return Format == CaptureFileFormat.PcapNg ? TryReadPcapNgFrame(out frame, out data) : TryReadPcapFrame(out frame, out data);
    }

    public void Dispose()
    {
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }

    private void ReadFileHeader()
    {
        if (!Ensure(4))
        {
            int have = _end - _start;
            throw have == 0
                ? Fault(CaptureFaultKind.Empty, "The file is empty.", 0)
                : Fault(CaptureFaultKind.NotACapture, $"The file is {have} bytes long, too short for any capture format.", 0);
        }
        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(Span(0, 4));
        switch (magicLe)
        {
            case PcapMagicMicro:
            case PcapMagicNano:
                _bigEndian = false;
                _nanosecond = magicLe == PcapMagicNano;
                ReadPcapHeader();
                break;
            case 0xD4C3B2A1:
            case 0x4D3CB2A1:
                _bigEndian = true;
                _nanosecond = magicLe == 0x4D3CB2A1;
                ReadPcapHeader();
                break;
            case PcapNgSectionHeader:
                Format = CaptureFileFormat.PcapNg;
                if (!TryReadSectionHeader())
                {
                    throw Fault(CaptureFaultKind.Truncated, "The file ends inside the pcapng section header block.", 0);
                }
                break;
            default:
                throw Fault(CaptureFaultKind.NotACapture, $"The file is not a pcap or pcapng capture (it starts with 0x{BinaryPrimitives.ReadUInt32BigEndian(Span(0, 4)):x8}).", 0);
        }
    }

    private void ReadPcapHeader()
    {
        Format = _nanosecond ? CaptureFileFormat.PcapNanosecond : CaptureFileFormat.Pcap;
        if (!Ensure(24))
        {
            throw Fault(CaptureFaultKind.Truncated, $"The file ends inside the 24-byte pcap file header ({_end - _start} bytes).", 0);
        }
        var h = Span(0, 24);
        ushort major = U16(h[4..]);
        if (major != 2)
        {
            throw Fault(CaptureFaultKind.UnsupportedVersion, $"pcap version {major}.{U16(h[6..])} is not supported (only 2.x).", 0);
        }
        int snap = (int)Math.Min(U32(h[16..]), int.MaxValue);
        // Bits 16 and up of the link-type field carry FCS information, not the type.
        var linkType = (LinkType)(U32(h[20..]) & 0xFFFF);
        _interfaces.Add(new CaptureInterface(0, linkType, snap, null, _nanosecond ? 1_000_000_000 : 1_000_000, false, _nanosecond ? 9 : 6, 0));
        _start += 24;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private bool TryReadPcapFrame(out CapturedFrame frame, out ReadOnlySpan<byte> data)
    {
        frame = default;
        data = default;
        if (!Ensure(16))
        {
            if (_end == _start)
            {
                return false;
            }
            throw Fault(CaptureFaultKind.Truncated, $"The file ends inside the header of frame {_frameNumber + 1} ({_end - _start} of 16 bytes).", _frameNumber + 1);
        }
        var h = Span(0, 16);
        uint seconds = U32(h);
        uint fraction = U32(h[4..]);
        uint captured = U32(h[8..]);
        uint original = U32(h[12..]);
        int limit = Math.Max(MaxFrameLength, _interfaces[0].SnapLength);
        if (captured > limit)
        {
            throw Fault(CaptureFaultKind.CorruptRecord, $"Frame {_frameNumber + 1} claims {captured} captured bytes, more than any frame can hold ({limit}); the record header is corrupt.", _frameNumber + 1);
        }
        if (!Ensure(16 + (int)captured))
        {
            throw Fault(CaptureFaultKind.Truncated, $"The file ends inside frame {_frameNumber + 1}: {_end - _start - 16} of its {captured} bytes are present.", _frameNumber + 1);
        }
        _frameNumber++;
        long ns = seconds * 1_000_000_000L + (_nanosecond ? fraction : fraction * 1000L);
        frame = new CapturedFrame(_frameNumber, ns, _interfaces[0].LinkType, (int)captured, (int)Math.Min(original, int.MaxValue), 0);
        data = Span(16, (int)captured);
        _start += 16 + (int)captured;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    private bool TryReadPcapNgFrame(out CapturedFrame frame, out ReadOnlySpan<byte> data)
    {
        while (true)
        {
            frame = default;
            data = default;
            if (!Ensure(8))
            {
                if (_end == _start)
                {
                    return false;
                }
                throw Fault(CaptureFaultKind.Truncated, $"The file ends inside a pcapng block header ({_end - _start} bytes) before frame {_frameNumber + 1}.", _frameNumber + 1);
            }
            uint type = U32(Span(0, 4));
            if (type == PcapNgSectionHeader)
            {
                if (!TryReadSectionHeader())
                {
                    throw Fault(CaptureFaultKind.Truncated, "The file ends inside a pcapng section header block.", _frameNumber + 1);
                }
                continue;
            }
            int length = CheckBlockLength(U32(Span(4, 4)));
            var body = Span(8, length - 12);
            switch (type)
            {
                case BlockInterfaceDescription:
                    AddInterface(body);
                    _start += length;
                    continue;
                case BlockEnhancedPacket:
                case BlockPacketObsolete:
                {
                    if (body.Length < 20)
                    {
                        throw Fault(CaptureFaultKind.CorruptRecord, $"A pcapng packet block of {length} bytes is too short for its fields (frame {_frameNumber + 1}).", _frameNumber + 1);
                    }
                    int ifId = type == BlockEnhancedPacket ? (int)Math.Min(U32(body), int.MaxValue) : U16(body);
                    ulong ticks = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
                    uint captured = U32(body[12..]);
                    uint original = U32(body[16..]);
                    if (captured > body.Length - 20)
                    {
                        throw Fault(CaptureFaultKind.CorruptRecord, $"Frame {_frameNumber + 1} claims {captured} captured bytes but its pcapng block holds only {body.Length - 20}.", _frameNumber + 1);
                    }
                    var iface = Interface(ifId);
                    _frameNumber++;
                    frame = new CapturedFrame(_frameNumber, iface.ToUnixNanoseconds(ticks), iface.LinkType, (int)captured, (int)Math.Min(original, int.MaxValue), ifId);
                    data = body.Slice(20, (int)captured);
                    _start += length;
                    return true;
                }
                case BlockSimplePacket:
                {
                    if (body.Length < 4)
                    {
                        throw Fault(CaptureFaultKind.CorruptRecord, $"A pcapng simple packet block of {length} bytes is too short (frame {_frameNumber + 1}).", _frameNumber + 1);
                    }
                    var iface = Interface(0);
                    uint original = U32(body);
                    int captured = (int)Math.Min(Math.Min(original, (uint)(body.Length - 4)), iface.SnapLength > 0 ? (uint)iface.SnapLength : uint.MaxValue);
                    _frameNumber++;
                    frame = new CapturedFrame(_frameNumber, 0, iface.LinkType, captured, (int)Math.Min(original, int.MaxValue), 0);
                    data = body.Slice(4, captured);
                    _start += length;
                    return true;
                }
                case BlockCustomCopiable:
                case BlockCustomNotCopiable:
                case BlockSystemdJournalExport:
                case BlockSysdigEvent:
                case BlockSysdigEventV2:
                case BlockSysdigEventV2Large:
                    // Records that are not packets but that tshark (4.0) numbers as frames: counted, so that
                    // FrameNumber is the number tshark and Wireshark show for the same packet.
                    _frameNumber++;
                    _start += length;
                    continue;
                default:
                    // Name resolution, interface statistics, decryption secrets and the rest: no frame, nothing for us.
                    _start += length;
                    continue;
            }
        }
    }

    private int CheckBlockLength(uint length)
    {
        if (length < 12 || length % 4 != 0 || length > MaxBlockLength)
        {
            throw Fault(CaptureFaultKind.CorruptRecord, $"A pcapng block claims a length of {length} bytes, which is impossible (before frame {_frameNumber + 1}).", _frameNumber + 1);
        }
        if (!Ensure((int)length))
        {
            throw Fault(CaptureFaultKind.Truncated, $"The file ends inside a {length}-byte pcapng block ({_end - _start} bytes present) before frame {_frameNumber + 1}.", _frameNumber + 1);
        }
        uint trailer = U32(Span((int)length - 4, 4));
        if (trailer != length)
        {
            throw Fault(CaptureFaultKind.CorruptRecord, $"A pcapng block's trailing length ({trailer}) differs from its leading length ({length}) before frame {_frameNumber + 1}.", _frameNumber + 1);
        }
        return (int)length;
    }

    private bool TryReadSectionHeader()
    {
        if (!Ensure(12))
        {
            return false;
        }
        uint bom = BinaryPrimitives.ReadUInt32LittleEndian(Span(8, 4));
        if (bom == PcapNgByteOrderMagic)
        {
            _bigEndian = false;
        }
        else if (bom == 0x4D3C2B1A)
        {
            _bigEndian = true;
        }
        else
        {
            throw Fault(CaptureFaultKind.NotACapture, $"A pcapng section header has an unknown byte-order magic 0x{bom:x8}.", _frameNumber + 1);
        }
        int length = CheckBlockLength(U32(Span(4, 4)));
        if (length < 28)
        {
            throw Fault(CaptureFaultKind.CorruptRecord, $"A pcapng section header block of {length} bytes is too short.", _frameNumber + 1);
        }
        ushort major = U16(Span(12, 2));
        if (major != 1)
        {
            throw Fault(CaptureFaultKind.UnsupportedVersion, $"pcapng version {major}.{U16(Span(14, 2))} is not supported (only 1.x).", _frameNumber + 1);
        }
        _interfaces.Clear();
        _start += length;
        return true;
    }

    private void AddInterface(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8)
        {
            throw Fault(CaptureFaultKind.CorruptRecord, "A pcapng interface description block is too short.", _frameNumber + 1);
        }
        var linkType = (LinkType)U16(body);
        int snap = (int)Math.Min(U32(body[4..]), int.MaxValue);
        string? name = null;
        long unitsPerSecond = 1_000_000;
        bool powerOfTwo = false;
        int exponent = 6;
        long offset = 0;
        var options = body[8..];
        while (options.Length >= 4)
        {
            ushort code = U16(options);
            int len = U16(options[2..]);
            if (code == OptionEnd || 4 + len > options.Length)
            {
                break;
            }
            var value = options.Slice(4, len);
            switch (code)
            {
                case OptionIfName:
                    name = Encoding.UTF8.GetString(value).TrimEnd('\0');
                    break;
                case OptionIfTsResol when len >= 1:
                    powerOfTwo = (value[0] & 0x80) != 0;
                    exponent = value[0] & 0x7F;
                    if ((powerOfTwo && exponent > 62) || (!powerOfTwo && exponent > 18))
                    {
                        throw Fault(CaptureFaultKind.CorruptRecord, $"A pcapng interface has an impossible timestamp resolution (0x{value[0]:x2}).", _frameNumber + 1);
                    }
                    unitsPerSecond = powerOfTwo ? 1L << exponent : (long)Math.Pow(10, exponent);
                    break;
                case OptionIfTsOffset when len >= 8:
                    offset = _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(value) : BinaryPrimitives.ReadInt64LittleEndian(value);
                    break;
            }
            options = options[Math.Min(options.Length, 4 + ((len + 3) & ~3))..];
        }
        _interfaces.Add(new CaptureInterface(_interfaces.Count, linkType, snap, name, unitsPerSecond, powerOfTwo, exponent, offset));
    }

    private CaptureInterface Interface(int id)
    {
        if ((uint)id >= (uint)_interfaces.Count)
        {
            throw Fault(CaptureFaultKind.CorruptRecord, $"Frame {_frameNumber + 1} names interface {id}, but its section describes {_interfaces.Count}.", _frameNumber + 1);
        }
        return _interfaces[id];
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available from _start; false if the file ends first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private bool Ensure(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }
        if (count > _buffer.Length)
        {
            var bigger = new byte[Math.Max(count, _buffer.Length * 2)];
            Buffer.BlockCopy(_buffer, _start, bigger, 0, _end - _start);
            _buffer = bigger;
            _end -= _start;
            _bufferOffset += _start;
            _start = 0;
        }
        else if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _bufferOffset += _start;
            _start = 0;
        }
        while (_end - _start < count && !_eof)
        {
            int n;
            try
            {
                n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            }
            catch (IOException e)
            {
                throw new CaptureFileException(CaptureFaultKind.ReadError, Path, $"Reading failed after frame {_frameNumber}: {e.Message}", _frameNumber + 1, Position, e);
            }
            if (n == 0)
            {
                _eof = true;
            }
            _end += n;
        }
        return _end - _start >= count;
    }

    private ReadOnlySpan<byte> Span(int offset, int length) => new(_buffer, _start + offset, length);

    private ushort U16(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private uint U32(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    private CaptureFileException Fault(CaptureFaultKind kind, string message, long frame) => new(kind, Path, message, frame, Position);
}
