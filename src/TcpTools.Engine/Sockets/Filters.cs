using System.Collections.Generic;

namespace TcpTools.Engine.Sockets;

/// <summary>"Any of these" for the small filter lists of Get-TcpConnection and Wait-TcpState (a few values: a loop, no set).</summary>
internal static class Filters
{
    public static bool Contains<T>(IReadOnlyCollection<T> values, T value) where T : struct
    {
        foreach (T v in values)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return true;
            }
        }
        return false;
    }
}
