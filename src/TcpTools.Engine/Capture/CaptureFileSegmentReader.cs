using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Capture;

/// <summary>
/// Reads the TCP segments of one capture file: frames, optional BPF filter, decode. Frames that are not TCP are
/// counted in <see cref="Statistics"/>. Faults in the file throw <see cref="CaptureFileException"/> after every
/// good segment before them was returned; problems that do not stop reading (an interface of an unsupported
/// link type in a pcapng file) are queued as <see cref="Warnings"/>.
/// </summary>
public sealed class CaptureFileSegmentReader : IDisposable
{
    private readonly CaptureFileReader _reader;
    private readonly BpfFilter? _filter;
    private readonly HashSet<(long Section, int Interface)> _reportedInterfaces = new();
    private long _section;
    private IReadOnlyList<CaptureInterface>? _lastInterfaces;
    private FragmentReassembler? _fragments; // made at the first fragment

    private CaptureFileSegmentReader(CaptureFileReader reader, BpfFilter? filter)
    {
        _reader = reader;
        _filter = filter;
        if (reader.Format != CaptureFileFormat.PcapNg && !PacketDecoder.IsSupported(reader.Interfaces[0].LinkType))
        {
            throw UnsupportedLinkType(reader.Interfaces[0].LinkType, 0, null);
        }
    }

    /// <summary>Opens a file. <paramref name="filter"/> is shared across files and not disposed here.</summary>
    public static CaptureFileSegmentReader Open(string path, BpfFilter? filter)
    {
        var reader = CaptureFileReader.Open(path);
        try
        {
            return new CaptureFileSegmentReader(reader, filter);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an open frame reader (tests, streams).</summary>
    public static CaptureFileSegmentReader Create(CaptureFileReader reader, BpfFilter? filter) => new(reader, filter);

    public string Path => _reader.Path;

    public CaptureFileFormat Format => _reader.Format;

    public long Position => _reader.Position;

    public long Length => _reader.Length;

    public SegmentReadStatistics Statistics { get; } = new();

    /// <summary>Non-fatal problems found so far; the caller drains it.</summary>
    public Queue<CaptureFileException> Warnings { get; } = new();

    /// <summary>Next segment as an object (copies the frame).</summary>
    public bool TryReadNext([NotNullWhen(true)] out TcpSegment? segment)
    {
        if (TryReadNext(out var frame, out var data, out var tcp))
        {
            string? name = frame.InterfaceId < _reader.Interfaces.Count ? _reader.Interfaces[frame.InterfaceId].Name : null;
            segment = TcpSegment.Create(frame, data, tcp, _reader.Path, name, _fragments?.FragmentFrames(data));
            return true;
        }
        segment = null;
        return false;
    }

    /// <summary>Next segment, decoded in place: nothing is allocated. <paramref name="data"/> is valid until the next call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public bool TryReadNext(out CapturedFrame frame, out ReadOnlySpan<byte> data, out DecodedTcp tcp)
    {
        while (_reader.TryReadNext(out frame, out data))
        {
            var stats = Statistics;
            stats.Frames++;
            if (_filter != null && !_filter.Matches(frame.LinkType, data))
            {
                stats.FilteredOut++;
                continue;
            }
            var status = PacketDecoder.TryDecode(frame.LinkType, data, frame.OriginalLength, out tcp);
            if (stats.Count(status))
            {
                return true;
            }
            if (status == DecodeStatus.Fragment)
            {
                status = (_fragments ??= new FragmentReassembler(stats)).Add(ref frame, ref data, ref tcp);
                if (stats.Count(status))
                {
                    return true;
                }
            }
            if (status == DecodeStatus.UnsupportedLinkType)
            {
                NoteUnsupportedInterface(frame);
            }
        }
        _fragments?.Clear(); // the end of the file: what is still waiting never completes
        tcp = default;
        return false;
    }

    public void Dispose()
    {
        _fragments?.Dispose();
        _reader.Dispose();
    }

    private void NoteUnsupportedInterface(in CapturedFrame frame)
    {
        // A new section replaces the interface list object; count sections by that.
        if (!ReferenceEquals(_lastInterfaces, null) && _reader.FrameCount > 0 && _lastInterfaces.Count == 0)
        {
            _section++;
        }
        _lastInterfaces = _reader.Interfaces;
        if (_reportedInterfaces.Add((_section, frame.InterfaceId)))
        {
            string? name = _reader.Interfaces[frame.InterfaceId].Name;
            Warnings.Enqueue(UnsupportedLinkType(frame.LinkType, frame.InterfaceId, name, frame.Number));
        }
    }

    private CaptureFileException UnsupportedLinkType(LinkType linkType, int interfaceId, string? name, long frameNumber = 0)
    {
        string which = _reader.Format == CaptureFileFormat.PcapNg ? $"Interface {interfaceId}{(name is null ? "" : $" ({name})")} has" : "The file has";
        string verdict = _reader.Format == CaptureFileFormat.PcapNg ? "its frames are skipped" : "no segment can be read";
        return new CaptureFileException(CaptureFaultKind.UnsupportedLinkType, _reader.Path,
            $"{which} link type {(ushort)linkType}{(Enum.IsDefined(linkType) ? $" ({linkType})" : "")}, which TcpTools does not decode; {verdict}. " +
            "Supported: Ethernet (1, with 802.1Q and MPLS), BSD loopback (0, 108), raw IP (12, 14, 101, 228, 229), Linux cooked (113, 276).",
            frameNumber);
    }
}
