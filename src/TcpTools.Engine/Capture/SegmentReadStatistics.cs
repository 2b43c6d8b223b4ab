namespace TcpTools.Engine.Capture;

/// <summary>What reading one capture produced: segments, and every frame that did not become one, by reason.</summary>
public sealed class SegmentReadStatistics
{
    public long Frames { get; internal set; }
    public long Segments { get; internal set; }
    public long FilteredOut { get; internal set; }
    public long NotIP { get; internal set; }
    public long NotTcp { get; internal set; }
    public long Fragments { get; internal set; }
    public long TruncatedHeaders { get; internal set; }
    public long Malformed { get; internal set; }
    public long UnsupportedLinkType { get; internal set; }

    /// <summary>Frames read but not emitted as segments (filtered out excluded).</summary>
    public long Skipped => NotIP + NotTcp + Fragments + TruncatedHeaders + Malformed + UnsupportedLinkType;

    public override string ToString() =>
        $"{Frames} frames, {Segments} TCP segments, {FilteredOut} filtered out, {Skipped} skipped " +
        $"({NotIP} not IP, {NotTcp} not TCP, {Fragments} IP fragments, {TruncatedHeaders} headers cut by the snap length, " +
        $"{Malformed} malformed, {UnsupportedLinkType} of an unsupported link type)";
}
