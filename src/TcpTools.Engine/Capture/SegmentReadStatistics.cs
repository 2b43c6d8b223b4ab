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

    /// <summary>Inside a tunnel or carrier header whose payload type the decoder does not know (DecodeStatus.UnknownEncapsulation).</summary>
    public long UnknownEncapsulation { get; internal set; }

    /// <summary>Encapsulations nested deeper than the decoder's limit (DecodeStatus.NestingTooDeep).</summary>
    public long NestingTooDeep { get; internal set; }

    /// <summary>Counts one decoded frame by its outcome; true when it is a TCP segment.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal bool Count(Decoding.DecodeStatus status)
    {
        switch (status)
        {
            case Decoding.DecodeStatus.Tcp: Segments++; return true;
            case Decoding.DecodeStatus.NotIP: NotIP++; break;
            case Decoding.DecodeStatus.NotTcp: NotTcp++; break;
            case Decoding.DecodeStatus.Fragment: Fragments++; break;
            case Decoding.DecodeStatus.TruncatedHeader: TruncatedHeaders++; break;
            case Decoding.DecodeStatus.Malformed: Malformed++; break;
            case Decoding.DecodeStatus.UnsupportedLinkType: UnsupportedLinkType++; break;
            case Decoding.DecodeStatus.UnknownEncapsulation: UnknownEncapsulation++; break;
            case Decoding.DecodeStatus.NestingTooDeep: NestingTooDeep++; break;
        }
        return false;
    }

    /// <summary>Frames read but not emitted as segments (filtered out excluded).</summary>
    public long Skipped => NotIP + NotTcp + Fragments + TruncatedHeaders + Malformed + UnsupportedLinkType + UnknownEncapsulation + NestingTooDeep;

    public override string ToString() =>
        $"{Frames} frames, {Segments} TCP segments, {FilteredOut} filtered out, {Skipped} skipped " +
        $"({NotIP} not IP, {NotTcp} not TCP, {Fragments} IP fragments, {TruncatedHeaders} headers cut by the snap length, " +
        $"{Malformed} malformed, {UnsupportedLinkType} of an unsupported link type, " +
        $"{UnknownEncapsulation} inside an unknown encapsulation, {NestingTooDeep} nested too deep)";
}
