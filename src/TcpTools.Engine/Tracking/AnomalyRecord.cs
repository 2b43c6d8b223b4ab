using System.Numerics;
using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// The anomalies of one flow: which kinds each side's segments showed and how many segments showed each. Kept
/// beside the flow record, in <see cref="FlowTable"/>'s side table, only for flows that have any: most flows have
/// none, and the record stays within its 240 bytes.
/// </summary>
internal struct AnomalyRecord
{
    /// <summary>The number of kinds in <see cref="TcpAnomaly"/>.</summary>
    public const int Kinds = 19;

    public TcpAnomaly Client;
    public TcpAnomaly Server;
    public AnomalyCounts Counts;

    /// <summary>Counts the kinds in <paramref name="found"/> for the side that sent the segment; returns the kinds this flow had not shown before.</summary>
    public TcpAnomaly Add(TcpAnomaly found, bool fromClient)
    {
        TcpAnomaly fresh = found & ~(Client | Server);
        if (fromClient)
        {
            Client |= found;
        }
        else
        {
            Server |= found;
        }
        for (uint bits = (uint)found; bits != 0; bits &= bits - 1)
        {
            ref uint count = ref Counts[BitOperations.TrailingZeroCount(bits)];
            if (count != uint.MaxValue)
            {
                count++;
            }
        }
        return fresh;
    }
}

/// <summary>A count per <see cref="TcpAnomaly"/> kind, indexed by the kind's bit number.</summary>
[InlineArray(AnomalyRecord.Kinds)]
internal struct AnomalyCounts
{
    private uint _first;
}
