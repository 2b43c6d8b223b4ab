using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// One tracked connection: 240 bytes, no references, stored by value in <see cref="FlowTable"/>'s chunks so
/// that a million flows are a few large arrays and nothing for the GC to trace. Endpoint A of the key is the
/// client (the initiator).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)] // 4, not 8: no padding after the 239 bytes of fields
internal struct FlowRecord
{
    public FlowKey Key;

    /// <summary>Capture time of the first and the latest segment (ns since 1970).</summary>
    public long FirstNs;
    public long LastNs;

    public TcpEndpoint Client;
    public TcpEndpoint Server;

    /// <summary>When the client last sent a SYN (µs since <see cref="FirstNs"/>).</summary>
    public uint SynUs;

    /// <summary>Handshake RTT in µs plus one (0: not measured): the client's SYN to its ACK of the SYN-ACK.</summary>
    public uint RttUsPlusOne;

    /// <summary>Zeek's last_time once both sides closed (it stops advancing then), ms since <see cref="FirstNs"/>.</summary>
    public uint ZeekFrozenMs;

    /// <summary>When Zeek's close or reset timer removes the connection, ms since <see cref="FirstNs"/> plus one (0: none).</summary>
    public uint ZeekRemoveAtMsPlusOne;

    /// <summary>Zeek's hist_seen: one bit per once-only history letter, the responder's shifted by 16.</summary>
    public uint HistorySeen;

    /// <summary>
    /// How far the tracker's clock was ahead of <see cref="LastNs"/> at the flow's latest segment, rounded up: 0 for
    /// input in time order. The flow's timers run that much later, so the flows of an older capture read after a
    /// newer one do not expire on arrival. Milliseconds up to 2^31 - 1 (24 days); beyond, seconds with the top bit
    /// set (68 years). Read it through <see cref="LagNs"/>.
    /// </summary>
    public uint Lag;

    public FlowFlags Flags;

    public byte HistoryLength;

    public HistoryBuffer History;

    public readonly bool InUse => (Flags & FlowFlags.InUse) != 0;

    [UnscopedRef]
    public ref TcpEndpoint Endpoint(bool client) => ref client ? ref Client : ref Server;

    public readonly TcpState State => RfcState.Connection(Client.State, Server.State);

    /// <summary>True when Zeek's originator is the server (a SYN-ACK came first and no port said which side serves).</summary>
    public readonly bool ZeekFlipped => (Flags & FlowFlags.ZeekFlipped) != 0;

    public readonly uint Microseconds(long timeNs) => (uint)((ulong)(timeNs - FirstNs) / 1000);

    public readonly long LagNs => (Lag & 0x8000_0000) != 0 ? (Lag & 0x7FFF_FFFF) * 1_000_000_000L : Lag * 1_000_000L;

    /// <summary>Sets <see cref="Lag"/> from the clock at this flow's latest segment.</summary>
    public void SetLag(long clockNs)
    {
        long behind = clockNs - LastNs;
        if (behind <= 0)
        {
            Lag = 0;
            return;
        }
        long ms = (behind + 999_999) / 1_000_000;
        Lag = ms <= 0x7FFF_FFFF ? (uint)ms : 0x8000_0000 | (uint)Math.Min((behind + 999_999_999) / 1_000_000_000, 0x7FFF_FFFF);
    }
}

/// <summary>Per-flow bits.</summary>
[Flags]
internal enum FlowFlags : ushort
{
    None = 0,
    InUse = 1 << 0,

    /// <summary>The first segment was not a SYN: the handshake happened before the capture.</summary>
    Midstream = 1 << 1,

    /// <summary>Zeek's originator is our server.</summary>
    ZeekFlipped = 1 << 2,

    /// <summary>Both sides closed in Zeek's model: its last_time is frozen at <see cref="FlowRecord.ZeekFrozenMs"/>.</summary>
    ZeekFrozen = 1 << 3,

    /// <summary>The previous segment came from the client.</summary>
    LastFromClient = 1 << 4,

    /// <summary>Zeek's attempt timer is armed: the originator's first packet was a SYN.</summary>
    ZeekAttempt = 1 << 5,

    /// <summary>History has more letters than fit inline; the rest is in <see cref="FlowTable"/>'s overflow.</summary>
    HistoryOverflow = 1 << 6,

    /// <summary>The client's SYN was seen: <see cref="FlowRecord.SynUs"/> holds its time, and a handshake RTT can be measured.</summary>
    ClientSynSeen = 1 << 7,

    /// <summary>The flow has shown anomalies: they are in <see cref="FlowTable"/>'s side table.</summary>
    HasAnomalies = 1 << 8,
}

/// <summary>The first 12 letters of Zeek's history string, inline.</summary>
[InlineArray(Length)]
internal struct HistoryBuffer
{
    public const int Length = 12;

    private byte _first;
}
