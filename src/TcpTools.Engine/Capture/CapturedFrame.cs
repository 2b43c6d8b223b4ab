namespace TcpTools.Engine.Capture;

/// <summary>
/// Metadata of one frame read from a capture file. The frame's bytes come beside it as a span that is valid
/// only until the next read.
/// </summary>
public readonly struct CapturedFrame
{
    public CapturedFrame(long number, long unixTimeNanoseconds, LinkType linkType, int capturedLength, int originalLength, int interfaceId)
    {
        Number = number;
        UnixTimeNanoseconds = unixTimeNanoseconds;
        LinkType = linkType;
        CapturedLength = capturedLength;
        OriginalLength = originalLength;
        InterfaceId = interfaceId;
    }

    /// <summary>1-based frame number in the file, counting every packet record (as tshark's frame.number).</summary>
    public long Number { get; }

    /// <summary>Capture time in nanoseconds since 1970-01-01 UTC.</summary>
    public long UnixTimeNanoseconds { get; }

    public LinkType LinkType { get; }

    /// <summary>Bytes present in the file for this frame.</summary>
    public int CapturedLength { get; }

    /// <summary>Bytes the frame had on the wire (larger than CapturedLength when cut by the snap length).</summary>
    public int OriginalLength { get; }

    /// <summary>pcapng interface id within its section (0 for pcap).</summary>
    public int InterfaceId { get; }
}
