using System;

namespace TcpTools.Engine.Tracking;

/// <summary>Settings of a <see cref="TcpTracker"/>.</summary>
public sealed class TcpTrackerOptions
{
    /// <summary>Linux's TIME_WAIT is 60 s (TCP_TIMEWAIT_LEN), so an MSL of 30 s makes 2 × MSL match it.</summary>
    public static readonly TimeSpan DefaultMsl = TimeSpan.FromSeconds(30);

    /// <summary>Maximum segment lifetime: TIME_WAIT lasts twice this long.</summary>
    public TimeSpan Msl { get; init; } = DefaultMsl;

    public TcpTimeoutPolicy TimeoutPolicy { get; init; } = TcpTimeoutPolicy.Conntrack;

    /// <summary>When a SYN or FIN moves its receiver: when it is captured (the default) or when the receiver answers it.</summary>
    public TcpStateEvidence StateEvidence { get; init; } = TcpStateEvidence.Receipt;

    /// <summary>Flows kept at once; beyond it the least recently active of a sample is evicted. Bounds memory under a SYN flood.</summary>
    public int MaxFlows { get; init; } = 1_000_000;

    /// <summary>Ports that mark the server side of a flow picked up without its SYN.</summary>
    public ServerPorts ServerPorts { get; init; } = ServerPorts.Default;

    /// <summary>
    /// Drop segments whose TCP checksum is wrong, as their receiver would (Zeek's default). Off by default: on the
    /// sending host, checksum offload makes nearly every outgoing segment look wrong in a capture.
    /// </summary>
    public bool ValidateChecksums { get; init; }

    /// <summary>Also emit a snapshot every time a flow's connection state changes (live -Watch).</summary>
    public bool EmitStateChanges { get; init; }

    /// <summary>Finds this host's processes behind new flows (live capture); null: no owners.</summary>
    public Sockets.FlowOwnerResolver? Owners { get; init; }
}
