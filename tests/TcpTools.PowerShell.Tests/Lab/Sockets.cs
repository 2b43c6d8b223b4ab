using System;
using System.Net.Sockets;

namespace TcpTools.PowerShell.Tests.Lab;

internal static class SocketExtensions
{
    /// <summary>Reads until <paramref name="count"/> bytes came (or, for 0, until the peer's FIN), at most 5 s a read.</summary>
    public static void ReceiveExactly(this Socket s, int count)
    {
        var buffer = new byte[Math.Max(count, 1)];
        int total = 0;
        s.ReceiveTimeout = 5000;
        while (true)
        {
            int n = s.Receive(buffer, 0, buffer.Length, SocketFlags.None);
            total += n;
            if (n == 0 || (count > 0 && total >= count))
            {
                return;
            }
        }
    }
}
