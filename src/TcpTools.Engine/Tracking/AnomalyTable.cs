using System;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// <see cref="FlowTable"/>'s anomaly side table: flow slot → <see cref="AnomalyRecord"/>, for the few flows that have
/// any. Open addressing, linear probing, backward-shift deletion, at most half full. Not a
/// <c>Dictionary&lt;int, AnomalyRecord&gt;</c>: a framework generic over a struct of this assembly cannot be
/// precompiled with the module, so its methods were compiled, fully optimised, in every process that met an anomaly
/// (about 20 ms of a 1.3 s Get-TcpFlow, bench/RESULTS.md); this class is precompiled with the rest.
/// </summary>
internal sealed class AnomalyTable
{
    private const int InitialSize = 16;

    private int[] _keys = new int[InitialSize]; // slot + 1; 0: empty
    private AnomalyRecord[] _values = new AnomalyRecord[InitialSize];

    public int Count { get; private set; }

    /// <summary>The record of <paramref name="slot"/>, added empty if it has none.</summary>
    public ref AnomalyRecord GetOrAdd(int slot)
    {
        if ((Count + 1) * 2 > _keys.Length)
        {
            Grow();
        }
        int key = slot + 1, mask = _keys.Length - 1;
        for (int i = Home(slot, mask); ; i = (i + 1) & mask)
        {
            int k = _keys[i];
            if (k == key)
            {
                return ref _values[i];
            }
            if (k == 0)
            {
                _keys[i] = key;
                _values[i] = default;
                Count++;
                return ref _values[i];
            }
        }
    }

    public bool TryGet(int slot, out AnomalyRecord record)
    {
        int i = Find(slot);
        record = i >= 0 ? _values[i] : default;
        return i >= 0;
    }

    public void Remove(int slot)
    {
        int i = Find(slot);
        if (i < 0)
        {
            return;
        }
        int mask = _keys.Length - 1;
        // Backward shift: pull later entries of the probe run into the hole unless their home lies after the hole.
        for (int j = (i + 1) & mask; _keys[j] != 0; j = (j + 1) & mask)
        {
            int home = Home(_keys[j] - 1, mask);
            bool stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if (!stays)
            {
                _keys[i] = _keys[j];
                _values[i] = _values[j];
                i = j;
            }
        }
        _keys[i] = 0;
        _values[i] = default;
        Count--;
    }

    public void Clear()
    {
        if (Count == 0)
        {
            return;
        }
        Array.Clear(_keys);
        Array.Clear(_values);
        Count = 0;
    }

    private int Find(int slot)
    {
        int key = slot + 1, mask = _keys.Length - 1;
        for (int i = Home(slot, mask); ; i = (i + 1) & mask)
        {
            int k = _keys[i];
            if (k == key)
            {
                return i;
            }
            if (k == 0)
            {
                return -1;
            }
        }
    }

    // Slots are small consecutive integers: multiplying by an odd constant permutes the low bits, and the high bits of
    // the product spread neighbours apart.
    private static int Home(int slot, int mask) => (int)(((uint)slot * 2654435769u) >> 16 ^ (uint)slot * 2654435769u) & mask;

    private void Grow()
    {
        int[] keys = _keys;
        AnomalyRecord[] values = _values;
        _keys = new int[keys.Length * 2];
        _values = new AnomalyRecord[keys.Length * 2];
        int mask = _keys.Length - 1;
        for (int s = 0; s < keys.Length; s++)
        {
            if (keys[s] == 0)
            {
                continue;
            }
            int i = Home(keys[s] - 1, mask);
            while (_keys[i] != 0)
            {
                i = (i + 1) & mask;
            }
            _keys[i] = keys[s];
            _values[i] = values[s];
        }
    }
}
