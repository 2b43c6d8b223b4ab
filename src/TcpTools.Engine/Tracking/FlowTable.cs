using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// The flow table: records by value in chunks of 4096 (growing never copies a record), found through an
/// open-addressing index with linear probing and backward-shift deletion. An index entry holds the slot number
/// (24 bits) and the top 8 bits of the key's hash, so a probe past another flow's entry rarely reads that flow's
/// record. A lookup hashes the segment's 4-tuple symmetrically and compares keys in both directions, so it
/// allocates nothing. Beside the records, 4 bytes per slot say roughly when each flow is due to leave, so that
/// expiry sweeps read a small array instead of whole records.
/// </summary>
internal sealed class FlowTable
{
    private const int ChunkShift = 12;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    // An index entry: the hash's top 8 bits, then slot + 1 (0 marks an empty entry).
    private const uint TagMask = 0xFF00_0000;
    private const uint SlotMask = ~TagMask;

    /// <summary>The most flows a table holds: slot + 1 must fit in the entry's 24 bits.</summary>
    public const int MaxCapacity = (int)SlotMask - 1;

    private FlowRecord[][] _chunks = new FlowRecord[4][];
    private int _chunkCount;
    private int _highWater;
    private uint[] _dueSeconds = new uint[ChunkSize];
    private int[] _free = new int[64];
    private int _freeCount;
    private uint[] _index;
    private int _mask;
    private readonly Dictionary<int, string> _historyOverflow = new();
    // The anomalies of the flows that have any (FlowFlags.HasAnomalies), by slot.
    private readonly AnomalyTable _anomalies = new();
    // The tunnel chains of the flows carried in tunnels (FlowKey.TunnelKey not 0), by slot; null until the first.
    private TcpTunnelList?[]? _tunnels;

    public FlowTable(int initialCapacity = 1024)
    {
        int size = 16;
        while (size < initialCapacity * 4 / 3)
        {
            size <<= 1;
        }
        _index = new uint[size];
        _mask = size - 1;
    }

    /// <summary>Flows in the table.</summary>
    public int Count { get; private set; }

    /// <summary>One past the highest slot ever used: slots below it are in use or free.</summary>
    public int HighWater => _highWater;

    public ref FlowRecord this[int slot]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _chunks[slot >> ChunkShift][slot & ChunkMask];
    }

    /// <summary>The slot of the segment's flow, or -1. <paramref name="fromClient"/> tells its direction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public int Find(in DecodedTcp tcp, out bool fromClient)
    {
        int hash = FlowKey.Hash(tcp);
        uint tag = (uint)hash & TagMask;
        int i = hash & _mask;
        while (true)
        {
            uint entry = _index[i];
            if (entry == 0)
            {
                fromClient = false;
                return -1;
            }
            if ((entry & TagMask) == tag)
            {
                int slot = (int)(entry & SlotMask) - 1;
                if (this[slot].Key.Matches(tcp, out fromClient))
                {
                    return slot;
                }
            }
            i = (i + 1) & _mask;
        }
    }

    /// <summary>Records when the flow in <paramref name="slot"/> is due to leave the table (ns since 1970).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetDue(int slot, long dueNs) => _dueSeconds[slot] = Coarse(dueNs);

    /// <summary>
    /// False when the flow in <paramref name="slot"/> is surely not due at <paramref name="clockNs"/>; true when it
    /// may be (compare the exact time), and never false for a due flow: its due time was rounded down as the clock is.
    /// A free slot is never due.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MayBeDue(int slot, long clockNs) => _dueSeconds[slot] <= Coarse(clockNs);

    // Nanoseconds to units of 2^30 ns (about a second), clamped below uint.MaxValue, which marks a free slot.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Coarse(long ns) => ns <= 0 ? 0 : (uint)Math.Min(ns >> 30, uint.MaxValue - 1);

    /// <summary>Adds a flow with the given key (A = client); its record is zeroed but for the key and InUse.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public int Insert(in FlowKey key)
    {
        if ((Count + 1) * 4 > _index.Length * 3)
        {
            GrowIndex();
        }
        int slot = _freeCount > 0 ? _free[--_freeCount] : NewSlot();
        ref FlowRecord record = ref this[slot];
        record = default;
        record.Key = key;
        record.Flags = FlowFlags.InUse;
        _dueSeconds[slot] = 0; // may be due until the tracker says when
        int hash = key.Hash();
        int i = hash & _mask;
        while (_index[i] != 0)
        {
            i = (i + 1) & _mask;
        }
        _index[i] = Entry(hash, slot);
        Count++;
        return slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public void Remove(int slot)
    {
        ref FlowRecord record = ref this[slot];
        int i = record.Key.Hash() & _mask;
        while ((_index[i] & SlotMask) != (uint)slot + 1)
        {
            i = (i + 1) & _mask;
        }
        // Backward-shift deletion: pull later entries of the probe run back so no tombstones are needed.
        int j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            uint entry = _index[j];
            if (entry == 0)
            {
                break;
            }
            int home = this[(int)(entry & SlotMask) - 1].Key.Hash() & _mask;
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
            {
                _index[i] = entry;
                i = j;
            }
        }
        _index[i] = 0;
        if ((record.Flags & FlowFlags.HistoryOverflow) != 0)
        {
            _historyOverflow.Remove(slot);
        }
        if ((record.Flags & FlowFlags.HasAnomalies) != 0)
        {
            _anomalies.Remove(slot);
        }
        if (record.Key.TunnelKey != 0 && _tunnels is not null && slot < _tunnels.Length)
        {
            _tunnels[slot] = null;
        }
        record.Flags = FlowFlags.None;
        _dueSeconds[slot] = uint.MaxValue;
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, _free.Length * 2);
        }
        _free[_freeCount++] = slot;
        Count--;
    }

    /// <summary>Removes every flow at once. The chunks stay for reuse: slots at or above the high-water mark are unused whatever they hold.</summary>
    public void Clear()
    {
        Array.Clear(_index);
        Array.Fill(_dueSeconds, uint.MaxValue, 0, _highWater);
        _historyOverflow.Clear();
        _anomalies.Clear();
        if (_tunnels is not null)
        {
            Array.Clear(_tunnels);
        }
        _freeCount = 0;
        _highWater = 0;
        Count = 0;
    }

    /// <summary>Keeps the tunnel chain of the flow in <paramref name="slot"/> (one carried in a tunnel).</summary>
    public void SetTunnels(int slot, TcpTunnelList tunnels)
    {
        if (_tunnels is null || slot >= _tunnels.Length)
        {
            Array.Resize(ref _tunnels, Math.Max(slot + 1, Math.Max(64, (_tunnels?.Length ?? 0) * 2)));
        }
        _tunnels[slot] = tunnels;
    }

    /// <summary>The tunnel chain the flow in <paramref name="slot"/> was seen in; empty for a flow not in a tunnel.</summary>
    public TcpTunnelList Tunnels(int slot) =>
        this[slot].Key.TunnelKey != 0 && _tunnels is not null && slot < _tunnels.Length ? _tunnels[slot] ?? TcpTunnelList.Empty : TcpTunnelList.Empty;

    /// <summary>History letters beyond the inline 12 of a flow.</summary>
    public string HistoryOverflow(int slot) => _historyOverflow.TryGetValue(slot, out string? s) ? s : "";

    public void AppendHistoryOverflow(int slot, char letter) =>
        _historyOverflow[slot] = HistoryOverflow(slot) + letter.ToString();

    /// <summary>Counts the anomalies one segment of the flow showed; returns the kinds the flow had not shown before.</summary>
    public TcpAnomaly AddAnomalies(int slot, TcpAnomaly found, bool fromClient)
    {
        this[slot].Flags |= FlowFlags.HasAnomalies;
        return _anomalies.GetOrAdd(slot).Add(found, fromClient);
    }

    /// <summary>The anomalies of a flow (an empty record when it has none).</summary>
    public AnomalyRecord Anomalies(int slot) =>
        (this[slot].Flags & FlowFlags.HasAnomalies) != 0 && _anomalies.TryGet(slot, out AnomalyRecord record) ? record : default;

    /// <summary>Managed bytes held by the table's arrays (records, index, free list).</summary>
    public long FootprintBytes =>
        (long)_chunkCount * ChunkSize * Unsafe.SizeOf<FlowRecord>() + (long)_dueSeconds.Length * sizeof(uint) + (long)_index.Length * sizeof(uint) + (long)_free.Length * sizeof(int);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Entry(int hash, int slot) => ((uint)hash & TagMask) | (uint)(slot + 1);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private int NewSlot()
    {
        if (_highWater == MaxCapacity)
        {
            throw new InvalidOperationException($"The flow table holds at most {MaxCapacity} flows.");
        }
        if (_highWater == _chunkCount * ChunkSize)
        {
            if (_chunkCount == _chunks.Length)
            {
                Array.Resize(ref _chunks, _chunks.Length * 2);
            }
            _chunks[_chunkCount++] = new FlowRecord[ChunkSize];
            if (_dueSeconds.Length < _chunkCount * ChunkSize)
            {
                Array.Resize(ref _dueSeconds, _dueSeconds.Length * 2);
            }
        }
        return _highWater++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private void GrowIndex()
    {
        var index = new uint[_index.Length * 2];
        int mask = index.Length - 1;
        // Records in slot order, not index order: the keys are read front to back, not at random.
        for (int slot = 0; slot < _highWater; slot++)
        {
            ref FlowRecord record = ref this[slot];
            if (!record.InUse)
            {
                continue;
            }
            int hash = record.Key.Hash();
            int i = hash & mask;
            while (index[i] != 0)
            {
                i = (i + 1) & mask;
            }
            index[i] = Entry(hash, slot);
        }
        _index = index;
        _mask = mask;
    }
}
