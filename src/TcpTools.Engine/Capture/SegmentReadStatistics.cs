namespace TcpTools.Engine.Capture;

/// <summary>What reading one capture produced: segments, and every frame that did not become one, by reason.</summary>
public sealed class SegmentReadStatistics
{
    public long Frames { get; internal set; }
    public long Segments { get; internal set; }
    public long FilteredOut { get; internal set; }
    public long NotIP { get; internal set; }
    public long NotTcp { get; internal set; }
    /// <summary>IP fragments read (every one, whatever became of it).</summary>
    public long Fragments { get; internal set; }

    /// <summary>Datagrams reassembled from fragments (each decoded once, as one frame: a segment, or counted by what it is).</summary>
    public long ReassembledDatagrams { get; internal set; }

    /// <summary>Fragments that went into <see cref="ReassembledDatagrams"/>.</summary>
    public long ReassembledFragments { get; internal set; }

    /// <summary>
    /// Fragments of datagrams that did not complete: timed out, given up for memory, or still waiting for the rest
    /// when the statistics were read (<see cref="FragmentsPending"/> of them).
    /// </summary>
    public long FragmentsIncomplete => FragmentsGivenUp + FragmentsPending;

    /// <summary>Fragments of datagrams given up: timed out, or the oldest held when memory ran short.</summary>
    internal long FragmentsGivenUp;

    /// <summary>Fragments held for datagrams that have not completed yet.</summary>
    public long FragmentsPending { get; internal set; }

    /// <summary>Fragments of datagrams discarded because two of their fragments overlapped (RFC 5722).</summary>
    public long FragmentsOverlapping { get; internal set; }

    /// <summary>Exact duplicates of a fragment already held (the first copy is kept).</summary>
    public long FragmentsDuplicate { get; internal set; }

    /// <summary>Fragments dropped as impossible: empty, beyond 65,535 bytes or the last fragment's end, a second last fragment, IPv6 not a multiple of 8.</summary>
    public long FragmentsInvalid { get; internal set; }
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
            case Decoding.DecodeStatus.Fragment: break; // counted by the reassembler, by what became of it
            case Decoding.DecodeStatus.TruncatedHeader: TruncatedHeaders++; break;
            case Decoding.DecodeStatus.Malformed: Malformed++; break;
            case Decoding.DecodeStatus.UnsupportedLinkType: UnsupportedLinkType++; break;
            case Decoding.DecodeStatus.UnknownEncapsulation: UnknownEncapsulation++; break;
            case Decoding.DecodeStatus.NestingTooDeep: NestingTooDeep++; break;
        }
        return false;
    }

    /// <summary>Frames read but not emitted as segments (filtered out excluded).</summary>
    public long Skipped => NotIP + NotTcp + FragmentsIncomplete + FragmentsOverlapping + FragmentsDuplicate + FragmentsInvalid + TruncatedHeaders + Malformed + UnsupportedLinkType + UnknownEncapsulation + NestingTooDeep;

    public override string ToString() =>
        $"{Frames} frames, {Segments} TCP segments, {FilteredOut} filtered out, {Skipped} skipped " +
        $"({NotIP} not IP, {NotTcp} not TCP, {TruncatedHeaders} headers cut by the snap length, " +
        $"{Malformed} malformed, {UnsupportedLinkType} of an unsupported link type, " +
        $"{UnknownEncapsulation} inside an unknown encapsulation, {NestingTooDeep} nested too deep, " +
        $"{FragmentsIncomplete} IP fragments of datagrams never completed, {FragmentsOverlapping} overlapping, " +
        $"{FragmentsDuplicate} duplicate, {FragmentsInvalid} invalid); " +
        $"{ReassembledFragments} IP fragments reassembled into {ReassembledDatagrams} datagrams";
}
