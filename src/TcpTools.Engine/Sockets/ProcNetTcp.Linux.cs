using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// The socket table from /proc/net/tcp and /proc/net/tcp6 (net/ipv4/tcp_ipv4.c get_tcp4_sock), for a kernel or a
/// sandbox without sock_diag. It has states, endpoints, queues, the timer, uid and inode, but no tcp_info.
/// </summary>
internal static class ProcNetTcp
{
    // The timer's expiry is printed in clock ticks (jiffies_delta_to_clock_t): USER_HZ, 100 on every Linux ABI.
    private const int MillisecondsPerTick = 10;

    /// <summary>Reads one file; false when it cannot be read (no such file: that family is not configured).</summary>
    public static bool TryRead(string path, bool ipv6, IReadOnlyCollection<TcpState>? states, List<SocketEntry> into)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        using (reader)
        {
            reader.ReadLine(); // the column heading
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (TryParseLine(line, ipv6, out SocketEntry entry) && (states is null || Filters.Contains(states, entry.State)))
                {
                    into.Add(entry);
                }
            }
        }
        return true;
    }

    /// <summary>"  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 12345 ..."</summary>
    internal static bool TryParseLine(ReadOnlySpan<char> line, bool ipv6, out SocketEntry entry)
    {
        entry = default;
        Span<Range> fields = stackalloc Range[11];
        line = line.Trim();
        int count = line.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (count < 10)
        {
            return false;
        }
        if (!TryParseEndpoint(line[fields[1]], ipv6, out entry.Local, out entry.LocalPort)
            || !TryParseEndpoint(line[fields[2]], ipv6, out entry.Remote, out entry.RemotePort)
            || !byte.TryParse(line[fields[3]], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte state)
            || !SockDiag.TryMapState(state, out entry.State))
        {
            return false;
        }
        var queues = line[fields[4]];
        int colon = queues.IndexOf(':');
        var timer = line[fields[5]];
        int timerColon = timer.IndexOf(':');
        if (colon < 0 || timerColon < 0
            || !uint.TryParse(queues[..colon], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out entry.SendQueue)
            || !uint.TryParse(queues[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out entry.ReceiveQueue)
            || !byte.TryParse(timer[..timerColon], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte timerKind)
            || !long.TryParse(timer[(timerColon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long ticks)
            || !byte.TryParse(line[fields[6]], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out entry.TimerRetransmits)
            || !uint.TryParse(line[fields[7]], NumberStyles.None, CultureInfo.InvariantCulture, out entry.Uid)
            || !ulong.TryParse(line[fields[9]], NumberStyles.None, CultureInfo.InvariantCulture, out entry.Inode))
        {
            return false;
        }
        entry.Timer = timerKind <= (byte)TcpSocketTimer.ZeroWindowProbe ? (TcpSocketTimer)timerKind : TcpSocketTimer.None;
        entry.HasTimerExpiry = entry.Timer != TcpSocketTimer.None;
        // The tick count is printed as %08lX of a signed value: an expired timer shows as a huge number.
        entry.TimerExpiresMs = ticks is < 0 or > uint.MaxValue / MillisecondsPerTick ? 0 : (uint)(ticks * MillisecondsPerTick);
        entry.HasKernelFields = true;
        return true;
    }

    /// <summary>"0100007F:1F90": the address as the kernel's native-order 32-bit words in hex, the port in hex.</summary>
    private static bool TryParseEndpoint(ReadOnlySpan<char> text, bool ipv6, out IPAddressValue address, out ushort port)
    {
        address = default;
        port = 0;
        int colon = text.IndexOf(':');
        int hexLength = ipv6 ? 32 : 8;
        if (colon != hexLength || !ushort.TryParse(text[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out port))
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        for (int word = 0; word < hexLength / 8; word++)
        {
            if (!uint.TryParse(text.Slice(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint value))
            {
                return false;
            }
            // Each word was printed from memory in native order; in memory it is the address's bytes in order.
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[(word * 4)..], value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes[(word * 4)..], value);
            }
        }
        address = ipv6 ? IPAddressValue.FromIPv6(bytes) : IPAddressValue.FromIPv4(bytes[..4]);
        return true;
    }
}
