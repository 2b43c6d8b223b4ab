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

    internal TcpAnomalyCounts(IDictionary<string, uint> counts)
        : base(counts)
    {
    }

    public override string ToString() => string.Join(" ", this.Select(p => $"{p.Key}={p.Value}"));
}
