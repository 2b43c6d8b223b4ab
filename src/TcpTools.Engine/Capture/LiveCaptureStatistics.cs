namespace TcpTools;

/// <summary>libpcap's counters for one interface at the end of a live capture.</summary>
public sealed class LiveCaptureStatistics
{
    internal LiveCaptureStatistics(string device, long received, long dropped, long interfaceDropped)
    {
        Device = device;
        Received = received;
        Dropped = dropped;
        InterfaceDropped = interfaceDropped;
    }

    public string Device { get; }

    /// <summary>Packets the kernel passed to the capture (ps_recv; on Linux, those that matched the filter).</summary>
    public long Received { get; }

    /// <summary>Packets dropped because the capture buffer was full (ps_drop): the reader did not keep up.</summary>
    public long Dropped { get; }

    /// <summary>Packets the interface or its driver dropped (ps_ifdrop).</summary>
    public long InterfaceDropped { get; }

    public override string ToString() => $"{Device}: {Received} received, {Dropped} dropped by the kernel, {InterfaceDropped} dropped by the interface";
}
