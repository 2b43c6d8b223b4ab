namespace TcpTools;

/// <summary>What is wrong with a capture file; each maps to one error id in the cmdlets.</summary>
public enum CaptureFaultKind
{
    /// <summary>The file has no bytes at all.</summary>
    Empty,
    /// <summary>The first bytes are not a pcap or pcapng magic number.</summary>
    NotACapture,
    /// <summary>The file ends in the middle of a header or a record.</summary>
    Truncated,
    /// <summary>A record or block length is impossible (larger than any frame, or shorter than its own header).</summary>
    CorruptRecord,
    /// <summary>The link-layer type is one the decoder cannot read.</summary>
    UnsupportedLinkType,
    /// <summary>The pcap or pcapng version is one this reader does not know.</summary>
    UnsupportedVersion,
    /// <summary>The operating system failed to read the file.</summary>
    ReadError,
}
