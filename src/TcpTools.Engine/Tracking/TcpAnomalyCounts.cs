using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace TcpTools;

/// <summary>
/// How many segments of a connection showed each kind of anomaly, by the kind's name (case-insensitive:
/// <c>$flow.AnomalyCounts.RstOutsideWindow</c>). A dictionary for ConvertTo-Json and remoting; as text (Export-Csv,
/// string interpolation) <c>RstOutsideWindow=5 AckOfUnseenData=1</c>.
/// </summary>
public sealed class TcpAnomalyCounts : ReadOnlyDictionary<string, uint>
{
    /// <summary>No anomalies: shared by every connection that has none.</summary>
    public static readonly TcpAnomalyCounts None = new(new Dictionary<string, uint>());

    // The kinds' names by bit number, made once.
    private static readonly string[] s_names = Enumerable.Range(0, Engine.Tracking.AnomalyRecord.Kinds).Select(bit => ((TcpAnomaly)(1u << bit)).ToString()).ToArray();

    private TcpAnomalyCounts(IDictionary<string, uint> counts)
        : base(counts)
    {
    }

    /// <summary>The counts of the kinds in <paramref name="kinds"/>, given in bit order.</summary>
    internal static TcpAnomalyCounts Of(TcpAnomaly kinds, uint[] counts)
    {
        var byName = new Dictionary<string, uint>(counts.Length, StringComparer.OrdinalIgnoreCase);
        int i = 0;
        for (uint bits = (uint)kinds; bits != 0; bits &= bits - 1)
        {
            byName.Add(s_names[System.Numerics.BitOperations.TrailingZeroCount(bits)], counts[i++]);
        }
        return new TcpAnomalyCounts(byName);
    }

    public override string ToString() => string.Join(" ", this.Select(p => $"{p.Key}={p.Value}"));
}
