using System;

namespace TcpTools;

/// <summary>tcpdump's compact flag text: "S", "S.", "P.", "F.", "R.", "." for a bare ACK, "none" for no flags.</summary>
public static class TcpFlagsText
{
    // tcpdump prints in this order (print-tcp.c, tcp_flag_values): F S R P . U E W.
    private static readonly string[] s_cache = Build();

    /// <summary>The text for a flag set; cached, so this allocates nothing.</summary>
    public static string Format(TcpFlags flags) => s_cache[(byte)flags];

    private static string[] Build()
    {
        var table = new string[256];
        Span<char> buffer = stackalloc char[8];
        for (int i = 0; i < 256; i++)
        {
            var f = (TcpFlags)i;
            int n = 0;
            if (f.HasFlag(TcpFlags.Fin)) { buffer[n++] = 'F'; }
            if (f.HasFlag(TcpFlags.Syn)) { buffer[n++] = 'S'; }
            if (f.HasFlag(TcpFlags.Rst)) { buffer[n++] = 'R'; }
            if (f.HasFlag(TcpFlags.Psh)) { buffer[n++] = 'P'; }
            if (f.HasFlag(TcpFlags.Ack)) { buffer[n++] = '.'; }
            if (f.HasFlag(TcpFlags.Urg)) { buffer[n++] = 'U'; }
            if (f.HasFlag(TcpFlags.Ece)) { buffer[n++] = 'E'; }
            if (f.HasFlag(TcpFlags.Cwr)) { buffer[n++] = 'W'; }
            table[i] = n == 0 ? "none" : new string(buffer[..n]);
        }
        return table;
    }
}
