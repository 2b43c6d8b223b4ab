using System;
using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Collections.Generic;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// Follows every TCP connection in a stream of segments, one segment at a time, on capture time only (never the
/// wall clock unless the caller passes it): per endpoint RFC 9293 state, Zeek's conn_state and history, and
/// Wireshark's retransmission, out-of-order, duplicate-ACK and zero-window counts. Finished connections are queued
/// in <see cref="Output"/> as <see cref="TcpConnectionState"/> snapshots; <see cref="Complete"/> emits the rest.
/// The per-segment path allocates nothing.
/// </summary>
public sealed class TcpTracker
{
    private const int SweepPerSegment = 2;
    private const int EvictionSample = 8;

    private readonly FlowTable _table = new();
    // The text of the addresses of flows written lately, shared by the objects written for them.
    private readonly AddressTextCache _addressText = new();
    private readonly long _twoMslNs;
    private readonly bool _onReceipt;
    private long _clock = long.MinValue;
    private int _sweepCursor;
    private uint _evictionRandom = 0x9E3779B9;

    public TcpTracker(TcpTrackerOptions? options = null)
    {
        Options = options ?? new TcpTrackerOptions();
        if (Options.Msl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.Msl, "The MSL must be positive.");
        }
        if (Options.MaxFlows < 1 || Options.MaxFlows > MaxFlowsLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.MaxFlows, $"MaxFlows must be from 1 to {MaxFlowsLimit}.");
        }
        _twoMslNs = 2 * Options.Msl.Ticks * 100;
        _onReceipt = Options.StateEvidence == TcpStateEvidence.Receipt;
    }

    public TcpTrackerOptions Options { get; }

    /// <summary>The largest <see cref="TcpTrackerOptions.MaxFlows"/>: 16,777,214 flows (about 4 GB of flow table).</summary>
    public const int MaxFlowsLimit = FlowTable.MaxCapacity;

    public TcpTrackerStatistics Statistics { get; } = new();

    /// <summary>Snapshots ready for the caller: finished flows (and, with EmitStateChanges, every state change).</summary>
    public Queue<TcpConnectionState> Output { get; } = new();

    /// <summary>Flows held now.</summary>
    public int FlowCount => _table.Count;

    /// <summary>The latest capture time processed (ns since 1970); the tracker's clock.</summary>
    public long Clock => _clock;

    /// <summary>Managed bytes held by the flow table.</summary>
    public long FootprintBytes => _table.FootprintBytes;

    /// <summary>Feeds one segment (its capture time, decoded headers and the frame, for the SYN's options).</summary>
    // Every method a segment or a finished flow runs through is optimized at its first call (and so left out of the
    // precompiled image: crossgen skips such methods). Under tiered compilation a method starts as tier-0 code, or as
    // precompiled code that is re-jitted with instrumentation once hot, and reaches tier 1 only after 30 calls and a
    // quiet period; in a fresh pwsh the first Get-TcpFlow over 1.7 M packets ran 1.04 s against 0.40 s warm, and
    // 0.81 s with these methods optimized at once (bench/RESULTS.md); what remains is PowerShell's and the runtime's
    // own code warming up. The tcptools host has quick JIT off, which has the same effect there.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public void Process(long timeNs, in DecodedTcp tcp, ReadOnlySpan<byte> frame)
    {
        Statistics.Segments++;
        if (timeNs < _clock)
        {
            Statistics.OutOfTimeOrder++;
            if (_clock - timeNs > Statistics.LargestTimeStepBack)
            {
                Statistics.LargestTimeStepBack = _clock - timeNs;
            }
        }
        else
        {
            _clock = timeNs;
        }
        Sweep(SweepPerSegment);

        int slot = _table.Find(tcp, out bool fromClient);
        if (Options.ValidateChecksums && InternetChecksum.VerifyIPv4Header(frame, tcp) == TcpChecksumStatus.Bad)
        {
            // Dropped at the IP layer, as Zeek drops it: no flow is created or moved, no history letter is written; a
            // flow it would have belonged to counts it.
            Statistics.BadIPChecksums++;
            if (slot >= 0)
            {
                AddAnomalies(slot, TcpAnomaly.BadIPChecksum, fromClient);
            }
            return;
        }
        TcpAnomaly found = TcpAnomaly.None;
        if (slot >= 0)
        {
            ref FlowRecord existing = ref _table[slot];
            // A late segment (input out of time order) is also judged on its flow's own time: the flow's timers
            // run from the clock (its lag), but its own segments still show when it ran out.
            if ((_table.MayBeDue(slot, _clock) && DueTime(ref existing) <= _clock)
                || (timeNs < _clock && DueTime(ref existing) - existing.LagNs <= timeNs))
            {
                Finish(slot, expired: true);
                slot = -1;
            }
            else if (IsReuse(ref existing, tcp, fromClient))
            {
                Statistics.FlowsReused++;
                Finish(slot, expired: false);
                slot = -1;
                found = TcpAnomaly.PortsReused;
            }
        }
        bool created = slot < 0;
        if (created)
        {
            slot = Create(tcp, timeNs, frame, out fromClient);
        }

        ref FlowRecord flow = ref _table[slot];
        if (Options.ValidateChecksums && InternetChecksum.VerifyTcp(frame, tcp) == TcpChecksumStatus.Bad)
        {
            Statistics.BadChecksums++;
            ZeekModel.ChecksumError(_table, slot, fromClient);
            AddAnomalies(slot, found | TcpAnomaly.BadChecksum, fromClient);
            _table.SetDue(slot, DueTime(ref flow));
            return;
        }
        // A new flow was Closed before this segment (a mid-stream one is created already Established).
        TcpState before = Options.EmitStateChanges && !created ? flow.State : TcpState.Closed;
        if (timeNs > flow.LastNs)
        {
            flow.LastNs = timeNs;
        }
        flow.SetLag(_clock);
        uint us = timeNs >= flow.FirstNs ? flow.Microseconds(timeNs) : 0;
        ref TcpEndpoint snd = ref flow.Endpoint(fromClient);
        ref TcpEndpoint rcv = ref flow.Endpoint(!fromClient);
        snd.Packets++;

        // Three machines read each segment, in this order, each writing its own part of the two endpoint records
        // (TcpEndpoint). The order matters:
        // 1. ZeekModel (endpoint.Zeek: Zeek's endpoint states, history, reassembly): writes the sender's Isn and FinSeq,
        //    which the RFC machine compares the peer's ACKs with, and the reassembly hole (HasHole) it reads for a
        //    FIN's order.
        // 2. RfcTransitions (endpoint.Rfc: the RFC 9293 states, through RfcTable): reads the sender's Analysis.NextSeq
        //    and the receiver's Analysis.LastAck as they were before this segment, so it runs before the analysis.
        // 3. SequenceAnalysis (endpoint.Analysis: Wireshark's analysis): advances NextSeq, LastAck, the counters;
        //    reads the RFC marks (window rules judged only once the SYN is acknowledged) and the handshake part.
        // Then Handshake (endpoint.Handshake): the SYN's options, and the handshake RTT, which reads the RFC states
        // and marks just set.
        // Each machine returns the anomalies it sees; they are counted as one set once the segment is through.
        found |= ZeekModel.Process(_table, slot, fromClient, tcp, timeNs);
        TcpAnomaly rfc = RfcTransitions.Process(ref snd, ref rcv, tcp, _onReceipt);
        if ((rfc & RfcTransitions.IgnoredReset) != 0)
        {
            Statistics.ResetsIgnored++;
        }
        found |= rfc | SequenceAnalysis.Process(ref snd, ref rcv, tcp, us, flow.RttUsPlusOne);
        Handshake(ref flow, ref snd, fromClient, tcp, frame, us, earlierThanFirst: timeNs < flow.FirstNs);
        flow.Flags = fromClient ? flow.Flags | FlowFlags.LastFromClient : flow.Flags & ~FlowFlags.LastFromClient;
        _table.SetDue(slot, DueTime(ref flow));

        // With EmitStateChanges a flow is written when its state changes or it shows a kind of anomaly for the first time.
        TcpAnomaly fresh = found != 0 ? AddAnomalies(slot, found, fromClient) : TcpAnomaly.None;
        if (Options.EmitStateChanges && (flow.State != before || fresh != 0))
        {
            Output.Enqueue(Snapshot(slot, OpenReason(ref flow)));
        }
    }

    /// <summary>Counts a segment's anomalies on its flow; returns the kinds the flow shows for the first time.</summary>
    private TcpAnomaly AddAnomalies(int slot, TcpAnomaly found, bool fromClient)
    {
        Statistics.Anomalies++;
        return _table.AddAnomalies(slot, found, fromClient);
    }

    /// <summary>Feeds a decoded segment object (from Get-TcpSegment or the pipeline).</summary>
    public void Process(TcpSegment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        Process(segment.UnixTimeNanoseconds, segment.Decoded, segment.Frame.Span);
    }

    /// <summary>
    /// Lets time pass without segments (live capture): flows whose time is up are finished and queued.
    /// <paramref name="timeNs"/> never moves the clock backwards.
    /// </summary>
    public void Advance(long timeNs)
    {
        if (timeNs > _clock)
        {
            _clock = timeNs;
        }
        for (int slot = 0; slot < _table.HighWater; slot++)
        {
            if (_table.MayBeDue(slot, _clock) && _table[slot].InUse && DueTime(ref _table[slot]) <= _clock)
            {
                Finish(slot, expired: true);
            }
        }
    }

    /// <summary>
    /// The end of the input: finishes flows whose time was up at the last segment, then queues every other flow as
    /// it stands, in order of first segment. The tracker is empty afterwards.
    /// </summary>
    public void Complete()
    {
        var remaining = new List<(long First, int Slot)>();
        for (int slot = 0; slot < _table.HighWater; slot++)
        {
            ref FlowRecord flow = ref _table[slot];
            if (!flow.InUse)
            {
                continue;
            }
            if (DueTime(ref flow) <= _clock)
            {
                Finish(slot, expired: true);
            }
            else
            {
                remaining.Add((flow.FirstNs, slot));
            }
        }
        remaining.Sort();
        if (!Options.EmitStateChanges)
        {
            foreach (var (_, slot) in remaining)
            {
                Output.Enqueue(Snapshot(slot, OpenReason(ref _table[slot])));
            }
        }
        _table.Clear();
    }

    /// <summary>Snapshots of the flows held now, without removing them (for live views).</summary>
    public List<TcpConnectionState> Current()
    {
        var list = new List<TcpConnectionState>(_table.Count);
        for (int slot = 0; slot < _table.HighWater; slot++)
        {
            if (_table[slot].InUse)
            {
                list.Add(Snapshot(slot, OpenReason(ref _table[slot])));
            }
        }
        return list;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private int Create(in DecodedTcp tcp, long timeNs, ReadOnlySpan<byte> frame, out bool fromClient)
    {
        if (_table.Count >= Options.MaxFlows)
        {
            Evict();
        }
        bool syn = (tcp.Flags & TcpFlags.Syn) != 0;
        bool ack = (tcp.Flags & TcpFlags.Ack) != 0;
        bool zeekFlip = ZeekModel.FlipAtCreation(tcp, Options.ServerPorts);
        // Our client: the SYN's sender; for a SYN-ACK its receiver; mid-stream, the side Zeek takes as originator.
        fromClient = syn ? !ack : !zeekFlip;
        var key = FlowKey.FromSource(tcp);
        int slot = _table.Insert(fromClient ? key : key.Reversed);
        ref FlowRecord flow = ref _table[slot];
        Options.Owners?.Enqueue(flow.Key); // live: a queue on another thread looks the owners up
        flow.FirstNs = timeNs;
        flow.LastNs = timeNs;
        if (tcp.TunnelDepth != 0)
        {
            _table.SetTunnels(slot, PacketDecoder.Tunnels(frame, tcp)); // as the flow's first segment came
        }
        flow.Client.Handshake.WindowScale = HandshakeEndpoint.NoSynSeen;
        flow.Server.Handshake.WindowScale = HandshakeEndpoint.NoSynSeen;
        if (syn && ack && !zeekFlip)
        {
            flow.Flags |= FlowFlags.ZeekFlipped; // Zeek keeps the SYN-ACK's sender as originator
        }
        if (zeekFlip)
        {
            ZeekModelAppendFlip(slot);
        }
        if (!syn)
        {
            // Picked up mid-stream: both sides were connected before the capture began.
            flow.Flags |= FlowFlags.Midstream;
            var connected = new RfcEndpoint { State = TcpState.Established, Marks = RfcMarks.SynAcked };
            flow.Client.Rfc = connected;
            flow.Server.Rfc = connected;
        }
        Statistics.FlowsCreated++;
        if (_table.Count > Statistics.PeakFlows)
        {
            Statistics.PeakFlows = _table.Count;
        }
        return slot;
    }

    private void ZeekModelAppendFlip(int slot)
    {
        ref FlowRecord flow = ref _table[slot];
        flow.History[flow.HistoryLength++] = (byte)'^';
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private bool IsReuse(ref FlowRecord flow, in DecodedTcp tcp, bool fromClient)
    {
        if (Options.TimeoutPolicy == TcpTimeoutPolicy.Conntrack && (tcp.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && !fromClient
            && flow.Server.State == TcpState.Closed && flow.Client.State == TcpState.SynSent)
        {
            return false; // simultaneous open: both sides sent a SYN; one connection (Zeek would start a new row)
        }
        return ZeekModel.IsReuse(ref flow, tcp);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void Handshake(ref FlowRecord flow, ref TcpEndpoint snd, bool fromClient, in DecodedTcp tcp, ReadOnlySpan<byte> frame, uint us, bool earlierThanFirst)
    {
        TcpFlags flags = tcp.Flags;
        if ((flags & TcpFlags.Syn) != 0)
        {
            if (!snd.Handshake.SynSeen)
            {
                snd.Handshake.WindowScale = HandshakeEndpoint.NoScale; // until its options say otherwise
            }
            ReadSynOptions(ref snd.Handshake, tcp, frame);
            if (fromClient && (flags & TcpFlags.Ack) == 0)
            {
                flow.SynUs = us;
                flow.Flags |= FlowFlags.ClientSynSeen;
            }
        }
        else if (fromClient && (flags & TcpFlags.Ack) != 0 && flow.RttUsPlusOne == 0 && (flow.Flags & FlowFlags.ClientSynSeen) != 0 && !earlierThanFirst && us >= flow.SynUs
            && flow.Server.Rfc.Has(RfcMarks.SynAcked) && flow.Client.State is not (TcpState.Closed or TcpState.SynSent))
        {
            // The client's SYN to its ACK of the SYN-ACK; not measured when the SYN was missed or the ACK is stamped earlier.
            flow.RttUsPlusOne = us - flow.SynUs + 1;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void ReadSynOptions(ref HandshakeEndpoint ep, in DecodedTcp tcp, ReadOnlySpan<byte> frame)
    {
        int start = tcp.TcpOffset + 20;
        int end = Math.Min(tcp.TcpOffset + tcp.TcpHeaderLength, frame.Length);
        for (int i = start; i < end;)
        {
            byte kind = frame[i];
            if (kind == 0)
            {
                break;
            }
            if (kind == 1)
            {
                i++;
                continue;
            }
            if (i + 1 >= end || frame[i + 1] < 2 || i + frame[i + 1] > end)
            {
                break;
            }
            int length = frame[i + 1];
            if (kind == 2 && length == 4)
            {
                ep.Mss = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(i + 2));
            }
            else if (kind == 3 && length == 3)
            {
                ep.WindowScale = (sbyte)Math.Min(frame[i + 2], (byte)14);
            }
            i += length;
        }
    }

    /// <summary>When the flow must leave the table (ns, on the tracker's clock), under the timeout policy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private long DueTime(ref FlowRecord flow)
    {
        long lag = flow.LagNs;
        if (Options.TimeoutPolicy == TcpTimeoutPolicy.Zeek)
        {
            return ZeekModel.RemovalTime(ref flow) + lag;
        }
        TcpState client = flow.Client.State, server = flow.Server.State;
        if (client == TcpState.TimeWait || server == TcpState.TimeWait)
        {
            return flow.LastNs + lag + _twoMslNs;
        }
        if (client == TcpState.Closed && server == TcpState.Closed)
        {
            return flow.LastNs + lag + TcpTimeouts.ConntrackClose;
        }
        return flow.LastNs + lag + TcpTimeouts.Conntrack(RfcState.Connection(client, server));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private void Finish(int slot, bool expired)
    {
        ref FlowRecord flow = ref _table[slot];
        TcpState before = flow.State;
        TcpCloseReason reason = OpenReason(ref flow);
        if (expired)
        {
            // (An endpoint in TIME_WAIT makes the reason Fin already: Open here means the flow was still open.)
            if (reason == TcpCloseReason.Open)
            {
                reason = TcpCloseReason.Timeout;
            }
            // Conntrack: TIME_WAIT has run its 2 MSL, or the flow timed out: every endpoint is CLOSED now.
            // Zeek's timers also remove closed flows before 2 MSL: those keep the states the wire showed.
            if (Options.TimeoutPolicy == TcpTimeoutPolicy.Conntrack || reason == TcpCloseReason.Timeout)
            {
                RfcTable.Expire(ref flow.Client.Rfc);
                RfcTable.Expire(ref flow.Server.Rfc);
            }
        }
        if (!Options.EmitStateChanges || flow.State != before)
        {
            Output.Enqueue(Snapshot(slot, reason));
        }
        Statistics.FlowsCompleted++;
        Options.Owners?.Forget(flow.Key);
        _table.Remove(slot);
    }

    /// <summary>Why a flow stands where it does without a timeout: reset, closed by FINs, or open.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static TcpCloseReason OpenReason(ref FlowRecord flow)
    {
        if (((flow.Client.Rfc.Marks | flow.Server.Rfc.Marks) & RfcMarks.Reset) != 0)
        {
            return TcpCloseReason.Reset;
        }
        TcpState c = flow.Client.State, s = flow.Server.State;
        // An endpoint in TIME_WAIT has exchanged both FINs: the connection is closed even while its peer waits for
        // the last ACK (LAST_ACK or CLOSING, on receipt, when that ACK is not in the capture).
        bool closed = c == TcpState.TimeWait || s == TcpState.TimeWait || (c == TcpState.Closed && s == TcpState.Closed);
        return closed && ((flow.Client.Rfc.Marks | flow.Server.Rfc.Marks) & RfcMarks.SentFin) != 0 ? TcpCloseReason.Fin : TcpCloseReason.Open;
    }

    private TcpConnectionState Snapshot(int slot, TcpCloseReason reason) =>
        TcpConnectionState.Create(_table, slot, _addressText, reason, Options.Msl, Options.Owners?.Find(_table[slot].Key));

    /// <summary>
    /// Visits a few slots per segment and finishes flows whose time is up: expiry in amortised O(1). It reads the
    /// table's coarse due times, and a record only when its flow may be due.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private void Sweep(int count)
    {
        int high = _table.HighWater;
        if (high == 0)
        {
            return;
        }
        for (int i = 0; i < count; i++)
        {
            if (_sweepCursor >= high)
            {
                _sweepCursor = 0;
            }
            int slot = _sweepCursor++;
            if (_table.MayBeDue(slot, _clock) && _table[slot].InUse && DueTime(ref _table[slot]) <= _clock)
            {
                Finish(slot, expired: true);
            }
        }
    }

    /// <summary>
    /// Makes room in a full table. From a small random sample (approximate LRU, as Redis evicts) it takes a
    /// finished flow (closed by FINs or a reset, in TIME_WAIT or lingering) before any open one, as conntrack's
    /// early drop spares assured connections, and the least recently active within each kind. A finished flow
    /// leaves with its close reason and the states it had (TIME_WAIT not run out); an open one with CloseReason
    /// Evicted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private void Evict()
    {
        int high = _table.HighWater;
        int victim = -1;
        bool victimFinished = false;
        long oldest = long.MaxValue;
        for (int tries = 0, found = 0; tries < EvictionSample * 8 && found < EvictionSample; tries++)
        {
            _evictionRandom ^= _evictionRandom << 13;
            _evictionRandom ^= _evictionRandom >> 17;
            _evictionRandom ^= _evictionRandom << 5;
            int slot = (int)(_evictionRandom % (uint)high);
            ref FlowRecord flow = ref _table[slot];
            if (!flow.InUse)
            {
                continue;
            }
            found++;
            bool finished = OpenReason(ref flow) != TcpCloseReason.Open;
            long active = flow.LastNs + flow.LagNs;
            if ((finished && !victimFinished) || (finished == victimFinished && active < oldest))
            {
                oldest = active;
                victim = slot;
                victimFinished = finished;
            }
        }
        if (victim < 0)
        {
            for (victim = 0; !_table[victim].InUse; victim++)
            {
            }
            victimFinished = OpenReason(ref _table[victim]) != TcpCloseReason.Open;
        }
        if (victimFinished)
        {
            // Done already: written with its close reason and states as they stand (a -Watch consumer has seen them).
            if (!Options.EmitStateChanges)
            {
                Output.Enqueue(Snapshot(victim, OpenReason(ref _table[victim])));
            }
            Statistics.FinishedFlowsEvicted++;
        }
        else
        {
            // Written in both modes: leaving the table unfinished is news for a -Watch consumer too.
            Output.Enqueue(Snapshot(victim, TcpCloseReason.Evicted));
            Statistics.FlowsEvicted++;
        }
        Options.Owners?.Forget(_table[victim].Key);
        _table.Remove(victim);
    }
}
