using System;

namespace TcpTools;

/// <summary>
/// A capture file that cannot be read past some point. Frames before <see cref="FrameNumber"/> were
/// delivered; the reader stops at the fault.
/// </summary>
public sealed class CaptureFileException : Exception
{
    public CaptureFileException(CaptureFaultKind kind, string path, string message, long frameNumber = 0, long offset = -1, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Path = path;
        FrameNumber = frameNumber;
        Offset = offset;
    }

    /// <summary>The class of fault.</summary>
    public CaptureFaultKind Kind { get; }

    /// <summary>The file the fault is in.</summary>
    public string Path { get; }

    /// <summary>The 1-based number of the frame being read when the fault was found; 0 for the file header.</summary>
    public long FrameNumber { get; }

    /// <summary>Byte offset in the file of the faulty header or record, or -1 when not known.</summary>
    public long Offset { get; }
}
