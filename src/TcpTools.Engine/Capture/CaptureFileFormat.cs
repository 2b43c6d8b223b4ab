namespace TcpTools;

/// <summary>The container format of a capture file.</summary>
public enum CaptureFileFormat
{
    /// <summary>Classic libpcap format with microsecond timestamps (magic a1b2c3d4).</summary>
    Pcap,
    /// <summary>Classic libpcap format with nanosecond timestamps (magic a1b23c4d).</summary>
    PcapNanosecond,
    /// <summary>pcapng (section header block 0a0d0d0a).</summary>
    PcapNg,
}
