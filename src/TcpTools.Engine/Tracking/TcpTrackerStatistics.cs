using System.Globalization;

namespace TcpTools.Engine.Tracking;

/// <summary>What a <see cref="TcpTracker"/> has seen and done, for Verbose output and warnings.</summary>
public sealed class TcpTrackerStatistics
{
    public long Segments { get; internal set; }

    public long FlowsCreated { get; internal set; }

    /// <summary>Flows emitted because they finished (closed and lingered out, TIME_WAIT expired, timed out).</summary>
    public long FlowsCompleted { get; internal set; }

    /// <summary>Open flows dropped from a full table before they finished (reported with CloseReason Evicted).</summary>
    public long FlowsEvicted { get; internal set; }

    /// <summary>
    /// Finished flows (closed, reset, or in TIME_WAIT) removed from a full table before their time was up, to make
    /// room; they are reported with their close reason, so nothing is lost.
    /// </summary>
    public long FinishedFlowsEvicted { get; internal set; }

    /// <summary>Largest number of flows held at once.</summary>
    public int PeakFlows { get; internal set; }

    /// <summary>Segments with a capture time earlier than one already processed (merged or repeated captures).</summary>
    public long OutOfTimeOrder { get; internal set; }

    /// <summary>The largest step back in time between consecutive segments (ns): microseconds are normal when
    /// several CPUs capture; seconds or more mean merged or repeated captures.</summary>
    public long LargestTimeStepBack { get; internal set; }

    /// <summary>RSTs a receiver would not accept (outside the window, or inside it but not exact: RFC 5961).</summary>
    public long ResetsIgnored { get; internal set; }

    /// <summary>Segments dropped for a bad TCP checksum (only when checksums are validated).</summary>
    public long BadChecksums { get; internal set; }

    /// <summary>Packets dropped for a bad IPv4 header checksum (only when checksums are validated).</summary>
    public long BadIPChecksums { get; internal set; }

    /// <summary>Segments that showed at least one named anomaly (<see cref="TcpAnomaly"/>).</summary>
    public long Anomalies { get; internal set; }

    /// <summary>SYNs that started a new flow on a 4-tuple already tracked (port reuse, TIME_WAIT reopen).</summary>
    public long FlowsReused { get; internal set; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Segments} segments, {FlowsCreated} flows ({FlowsReused} reopened a 4-tuple, peak {PeakFlows} at once, {FlowsEvicted} evicted open, {FinishedFlowsEvicted} finished removed early to make room), {OutOfTimeOrder} segments out of time order, {ResetsIgnored} RSTs ignored as unacceptable, {BadChecksums} dropped for a bad TCP checksum, {BadIPChecksums} for a bad IP header checksum, {Anomalies} with anomalies");
}
