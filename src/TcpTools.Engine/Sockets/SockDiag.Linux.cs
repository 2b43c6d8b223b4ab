using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// The kernel's socket table through netlink sock_diag (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY with
/// inet_diag_req_v2), as ss reads it: one dump per address family of every TCP socket in this process's network
/// namespace, with tcp_info and the congestion control name for full sockets. TIME_WAIT and SYN_RECV (request)
/// sockets come as mini sockets without tcp_info, as in ss.
/// </summary>
internal static unsafe class SockDiag
{
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFDump = 0x300; // NLM_F_ROOT | NLM_F_MATCH
    private const int NlmsgHeaderLength = 16;
    private const int RequestLength = NlmsgHeaderLength + 56; // + struct inet_diag_req_v2
    private const int DiagMessageLength = 72; // struct inet_diag_msg
    private const byte IpProtoTcp = 6;
    private const ushort InetDiagInfo = 2;
    private const ushort InetDiagCong = 4;
    // The kernel fills at most 32 KiB per recv of a dump (netlink_dump caps max_recvmsg_len there).
    private const int ReceiveBufferLength = 64 * 1024;
    public const byte FamilyIPv4 = 2;
    public const byte FamilyIPv6 = 10;

    /// <summary>Bits of inet_diag_req_v2.idiag_states for these states (all when null).</summary>
    public static uint StateMask(IReadOnlyCollection<TcpState>? states)
    {
        if (states is null)
        {
            return uint.MaxValue;
        }
        uint mask = 0;
        foreach (TcpState s in states)
        {
            mask |= s switch
            {
                TcpState.Established => 1u << 1,
                TcpState.SynSent => 1u << 2,
                TcpState.SynReceived => (1u << 3) | (1u << 12), // and TCP_NEW_SYN_RECV: request sockets
                TcpState.FinWait1 => 1u << 4,
                TcpState.FinWait2 => 1u << 5,
                TcpState.TimeWait => 1u << 6,
                TcpState.Closed => 1u << 7,
                TcpState.CloseWait => 1u << 8,
                TcpState.LastAck => 1u << 9,
                TcpState.Listen => 1u << 10,
                TcpState.Closing => 1u << 11,
                _ => 0u,
            };
        }
        return mask;
    }

    /// <summary>Kernel TCP state (include/net/tcp_states.h) to ours; false for a value we do not know.</summary>
    public static bool TryMapState(byte kernel, out TcpState state)
    {
        state = kernel switch
        {
            1 => TcpState.Established,
            2 => TcpState.SynSent,
            3 or 12 => TcpState.SynReceived,
            4 => TcpState.FinWait1,
            5 => TcpState.FinWait2,
            6 => TcpState.TimeWait,
            7 => TcpState.Closed,
            8 => TcpState.CloseWait,
            9 => TcpState.LastAck,
            10 => TcpState.Listen,
            11 => TcpState.Closing,
            _ => (TcpState)255,
        };
        return (byte)state != 255;
    }

    /// <summary>
    /// Dumps the TCP sockets of one family into <paramref name="into"/>. Returns 0, or the errno that stopped it
    /// (socket creation refused: no sock_diag in this kernel, or a sandbox; the caller falls back to /proc).
    /// </summary>
    public static int Dump(byte family, uint states, bool info, List<SocketEntry> into) => Query(family, states, info, into, null);

    /// <summary>
    /// The one socket with this local and remote endpoint (inet_diag's exact lookup, no dump): the connection's, or,
    /// when there is none, the listener on the local port (the kernel's lookup falls back to it as a SYN's would).
    /// Returns 0 and adds it, or the errno (ENOENT: no such socket).
    /// </summary>
    public static int Lookup(int fd, IPAddressValue local, ushort localPort, IPAddressValue remote, ushort remotePort, List<SocketEntry> into)
    {
        byte family = local.Version == 6 ? FamilyIPv6 : FamilyIPv4;
        return Query(fd, family, uint.MaxValue, false, into, (local, localPort, remote, remotePort));
    }

    /// <summary>A sock_diag socket for many lookups (in the calling thread's namespace), or -1 with the errno.</summary>
    public static int Open(out int errno)
    {
        int fd = LibC.socket(AfNetlink, SockRaw | SockCloexec, NetlinkSockDiag);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    public static void Close(int fd) => _ = LibC.close(fd);

    private static int Query(byte family, uint states, bool info, List<SocketEntry> into, (IPAddressValue Local, ushort LocalPort, IPAddressValue Remote, ushort RemotePort)? id)
    {
        int fd = Open(out int errno);
        if (fd < 0)
        {
            return errno;
        }
        try
        {
            return Query(fd, family, states, info, into, id);
        }
        finally
        {
            Close(fd); // nothing to do about a failed close of a socket we only read from
        }
    }

    private static int Query(int fd, byte family, uint states, bool info, List<SocketEntry> into, (IPAddressValue Local, ushort LocalPort, IPAddressValue Remote, ushort RemotePort)? id)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferLength);
        try
        {
            int error = SendRequest(fd, family, states, info, id);
            if (error != 0)
            {
                return error;
            }
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = LibC.recv(fd, p, buffer.Length, 0);
                    if (n < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == LibC.EINTR)
                        {
                            continue;
                        }
                        return errno;
                    }
                    if (n == 0)
                    {
                        return 0;
                    }
                    var result = ParseBatch(new ReadOnlySpan<byte>(p, (int)n), into, out int batchError);
                    if (id is not null)
                    {
                        // An exact lookup is answered by one message (or an error), with no NLMSG_DONE after it.
                        return result == BatchResult.Error ? batchError : 0;
                    }
                    switch (result)
                    {
                        case BatchResult.Done:
                            return 0;
                        case BatchResult.Error:
                            return batchError;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int SendRequest(int fd, byte family, uint states, bool info, (IPAddressValue Local, ushort LocalPort, IPAddressValue Remote, ushort RemotePort)? id)
    {
        byte* request = stackalloc byte[RequestLength];
        new Span<byte>(request, RequestLength).Clear();
        var r = new Span<byte>(request, RequestLength);
        // struct nlmsghdr, native order.
        MemoryMarshal.Write(r, (uint)RequestLength);
        MemoryMarshal.Write(r[4..], SockDiagByFamily);
        MemoryMarshal.Write(r[6..], id is null ? (ushort)(NlmFRequest | NlmFDump) : NlmFRequest);
        MemoryMarshal.Write(r[8..], 1u); // sequence
        // struct inet_diag_req_v2: family, protocol, extensions wanted, pad, states; the socket id is unused in a dump.
        r[16] = family;
        r[17] = IpProtoTcp;
        r[18] = info ? (byte)((1 << (InetDiagInfo - 1)) | (1 << (InetDiagCong - 1))) : (byte)0;
        MemoryMarshal.Write(r[20..], states);
        if (id is { } e)
        {
            // struct inet_diag_sockid: ports and addresses in network order; no interface; no cookie (INET_DIAG_NOCOOKIE).
            BinaryPrimitives.WriteUInt16BigEndian(r[24..], e.LocalPort);
            BinaryPrimitives.WriteUInt16BigEndian(r[26..], e.RemotePort);
            e.Local.WriteBytes(r[28..]);
            e.Remote.WriteBytes(r[44..]);
            MemoryMarshal.Write(r[64..], uint.MaxValue);
            MemoryMarshal.Write(r[68..], uint.MaxValue);
        }
        byte* address = stackalloc byte[12]; // struct sockaddr_nl: the kernel (pid 0)
        new Span<byte>(address, 12).Clear();
        *(ushort*)address = AfNetlink;
        while (true)
        {
            nint sent = LibC.sendto(fd, request, RequestLength, 0, address, 12);
            if (sent >= 0)
            {
                return 0;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return errno;
            }
        }
    }

    private enum BatchResult
    {
        More,
        Done,
        Error,
    }

    private static BatchResult ParseBatch(ReadOnlySpan<byte> batch, List<SocketEntry> into, out int error)
    {
        error = 0;
        int offset = 0;
        while (offset + NlmsgHeaderLength <= batch.Length)
        {
            var header = batch[offset..];
            int length = (int)MemoryMarshal.Read<uint>(header);
            ushort type = MemoryMarshal.Read<ushort>(header[4..]);
            if (length < NlmsgHeaderLength || length > header.Length)
            {
                error = 71; // EPROTO: a message the kernel would not send
                return BatchResult.Error;
            }
            if (type == NlmsgDone)
            {
                return BatchResult.Done;
            }
            if (type == NlmsgError)
            {
                error = length >= NlmsgHeaderLength + 4 ? -MemoryMarshal.Read<int>(header[NlmsgHeaderLength..]) : 71;
                return error == 0 ? BatchResult.Done : BatchResult.Error;
            }
            if (type == SockDiagByFamily && length >= NlmsgHeaderLength + DiagMessageLength)
            {
                if (TryParse(header[NlmsgHeaderLength..length], out SocketEntry entry))
                {
                    into.Add(entry);
                }
            }
            offset += (length + 3) & ~3;
        }
        return BatchResult.More;
    }

    /// <summary>Reads one struct inet_diag_msg and its attributes.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> m, out SocketEntry entry)
    {
        entry = default;
        if (m.Length < DiagMessageLength || !TryMapState(m[1], out entry.State))
        {
            return false;
        }
        byte family = m[0];
        // struct inet_diag_sockid: ports and addresses in network order, the interface and the rest native.
        entry.LocalPort = BinaryPrimitives.ReadUInt16BigEndian(m[4..]);
        entry.RemotePort = BinaryPrimitives.ReadUInt16BigEndian(m[6..]);
        if (family == FamilyIPv4)
        {
            entry.Local = IPAddressValue.FromIPv4(m.Slice(8, 4));
            entry.Remote = IPAddressValue.FromIPv4(m.Slice(24, 4));
        }
        else if (family == FamilyIPv6)
        {
            entry.Local = IPAddressValue.FromIPv6(m.Slice(8, 16));
            entry.Remote = IPAddressValue.FromIPv6(m.Slice(24, 16));
        }
        else
        {
            return false;
        }
        entry.Timer = (TcpSocketTimer)m[2];
        entry.TimerRetransmits = m[3];
        entry.InterfaceIndex = MemoryMarshal.Read<uint>(m[40..]);
        entry.TimerExpiresMs = MemoryMarshal.Read<uint>(m[52..]);
        entry.HasTimerExpiry = entry.Timer != TcpSocketTimer.None;
        entry.ReceiveQueue = MemoryMarshal.Read<uint>(m[56..]);
        entry.SendQueue = MemoryMarshal.Read<uint>(m[60..]);
        entry.Uid = MemoryMarshal.Read<uint>(m[64..]);
        entry.Inode = MemoryMarshal.Read<uint>(m[68..]);
        entry.HasKernelFields = true;
        int offset = DiagMessageLength;
        while (offset + 4 <= m.Length)
        {
            int length = MemoryMarshal.Read<ushort>(m[offset..]);
            ushort type = MemoryMarshal.Read<ushort>(m[(offset + 2)..]);
            if (length < 4 || offset + length > m.Length)
            {
                break;
            }
            var payload = m.Slice(offset + 4, length - 4);
            if (type == InetDiagInfo)
            {
                entry.Info = TcpInfoValues.Read(payload);
            }
            else if (type == InetDiagCong)
            {
                entry.CongestionControl = CongestionName(payload);
            }
            offset += (length + 3) & ~3;
        }
        return true;
    }

    private static readonly string[] s_knownCongestion = { "cubic", "reno", "bbr", "bbr2", "dctcp", "westwood", "htcp", "vegas", "illinois", "hybla", "scalable", "yeah", "bic", "cdg", "highspeed", "lp", "nv", "veno" };

    /// <summary>The NUL-terminated name, shared for the algorithms we know (one string, not one per socket).</summary>
    private static string CongestionName(ReadOnlySpan<byte> payload)
    {
        int end = payload.IndexOf((byte)0);
        var name = end >= 0 ? payload[..end] : payload;
        foreach (string known in s_knownCongestion)
        {
            if (name.Length == known.Length && System.Text.Encoding.ASCII.GetByteCount(known) == name.Length && Matches(name, known))
            {
                return known;
            }
        }
        return System.Text.Encoding.ASCII.GetString(name);
    }

    private static bool Matches(ReadOnlySpan<byte> bytes, string text)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != text[i])
            {
                return false;
            }
        }
        return true;
    }
}
