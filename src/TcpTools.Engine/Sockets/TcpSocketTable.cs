using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// Reads this host's TCP sockets: on Linux the kernel's table through sock_diag as ss does (in this process's
/// network namespace), /proc/net/tcp when sock_diag is refused, owners from /proc/PID/fd; elsewhere what .NET gives.
/// </summary>
public static class TcpSocketTable
{
    private const int ErrnoNoEntry = 2;       // ENOENT: the kernel has no inet_diag handler for the family
    private const int ErrnoNoFamily = 97;     // EAFNOSUPPORT: IPv6 disabled

    public static TcpSocketSnapshot Read(TcpSocketQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var entries = new List<SocketEntry>();
        TcpSocketSource source = query.Source;
        if (source == TcpSocketSource.Auto)
        {
            source = OperatingSystem.IsLinux() ? TcpSocketSource.SockDiag : TcpSocketSource.DotNet;
        }
        string? fallbackReason = null;
        if (source == TcpSocketSource.SockDiag)
        {
            uint mask = SockDiag.StateMask(query.States);
            int error = SockDiag.Dump(SockDiag.FamilyIPv4, mask, query.IncludeInfo, entries);
            if (error == 0)
            {
                int error6 = SockDiag.Dump(SockDiag.FamilyIPv6, mask, query.IncludeInfo, entries);
                error = error6 is ErrnoNoEntry or ErrnoNoFamily ? 0 : error6;
            }
            if (error != 0)
            {
                fallbackReason = $"sock_diag refused the dump ({Marshal.GetPInvokeErrorMessage(error)}, errno {error})";
                entries.Clear();
                source = TcpSocketSource.ProcNet;
            }
        }
        if (source == TcpSocketSource.ProcNet)
        {
            // thread-self: the calling thread's network namespace (a thread may have entered another with setns);
            // /proc/net is the process's, and is all a kernel before 3.17 has.
            string net = System.IO.Directory.Exists($"{query.ProcRoot}/thread-self/net") ? $"{query.ProcRoot}/thread-self/net" : $"{query.ProcRoot}/net";
            bool any = ProcNetTcp.TryRead($"{net}/tcp", ipv6: false, query.States, entries);
            any |= ProcNetTcp.TryRead($"{net}/tcp6", ipv6: true, query.States, entries);
            if (!any)
            {
                fallbackReason = (fallbackReason is null ? "" : fallbackReason + "; ") + $"{query.ProcRoot}/net/tcp cannot be read";
                source = TcpSocketSource.DotNet;
            }
        }
        if (source == TcpSocketSource.DotNet)
        {
            PortableSocketTable.Read(entries);
        }
        var matching = new List<SocketEntry>(entries.Count);
        foreach (var entry in entries)
        {
            if (Matches(query, entry))
            {
                matching.Add(entry);
            }
        }
        string sourceName = source switch
        {
            TcpSocketSource.SockDiag => "sock_diag",
            TcpSocketSource.ProcNet => "/proc/net/tcp",
            _ => ".NET",
        };
        return Build(query, matching, sourceName, fallbackReason, source == TcpSocketSource.DotNet);
    }

    private static TcpSocketSnapshot Build(TcpSocketQuery query, List<SocketEntry> matching, string sourceName, string? fallbackReason, bool portable)
    {
        Dictionary<ulong, List<int>>? owners = null;
        int denied = 0;
        bool ownersUnsupported = false;
        if (query.NeedsOwners)
        {
            if (portable)
            {
                ownersUnsupported = true;
            }
            else
            {
                var wanted = new HashSet<ulong>();
                foreach (var e in matching)
                {
                    if (e.Inode != 0)
                    {
                        wanted.Add(e.Inode);
                    }
                }
                owners = SocketOwners.Scan(wanted, query.ProcRoot, out denied);
            }
        }
        var names = new Dictionary<int, string?>();
        var interfaces = new Dictionary<uint, string?>();
        var addresses = new AddressTextCache();
        var sockets = new List<TcpSocket>(matching.Count);
        foreach (var entry in matching)
        {
            List<int>? pids = null;
            owners?.TryGetValue(entry.Inode, out pids);
            if (query.OwningProcesses is { } wantedPids && !AnyOf(pids, wantedPids))
            {
                continue;
            }
            string? name = null;
            if (pids is { Count: > 0 } && query.IncludeOwners && !names.TryGetValue(pids[0], out name))
            {
                names[pids[0]] = name = SocketOwners.ProcessName(query.ProcRoot, pids[0]);
            }
            string? device = null;
            if (entry.InterfaceIndex != 0 && !interfaces.TryGetValue(entry.InterfaceIndex, out device))
            {
                interfaces[entry.InterfaceIndex] = device = InterfaceNames.Of(entry.InterfaceIndex);
            }
            sockets.Add(new TcpSocket(entry, addresses, query.IncludeOwners ? pids : null, name, device, sourceName));
        }
        return new TcpSocketSnapshot(sockets, sourceName, fallbackReason, denied, ownersUnsupported);
    }

    private static bool AnyOf(List<int>? pids, IReadOnlyCollection<int> wanted)
    {
        if (pids is null)
        {
            return false;
        }
        foreach (int pid in pids)
        {
            foreach (int w in wanted)
            {
                if (pid == w)
                {
                    return true;
                }
            }
        }
        return false;
    }

    internal static bool Matches(TcpSocketQuery query, in SocketEntry entry)
    {
        if (query.States is { } states && !Filters.Contains(states, entry.State))
        {
            return false;
        }
        if (query.LocalPorts is { } local && !Filters.Contains(local, entry.LocalPort))
        {
            return false;
        }
        if (query.RemotePorts is { } remote && !Filters.Contains(remote, entry.RemotePort))
        {
            return false;
        }
        if (query.Ports is { } either && !Filters.Contains(either, entry.LocalPort) && !Filters.Contains(either, entry.RemotePort))
        {
            return false;
        }
        if (query.LocalAddresses is { } localNets && !InAny(localNets, entry.Local))
        {
            return false;
        }
        if (query.RemoteAddresses is { } remoteNets && !InAny(remoteNets, entry.Remote))
        {
            return false;
        }
        return (query.Servers is not { } servers || EitherSide(servers, entry))
            && (query.Clients is not { } clients || EitherSide(clients, entry));
    }

    private static bool EitherSide(IReadOnlyCollection<TcpEndpointFilter> filters, in SocketEntry entry)
    {
        foreach (var f in filters)
        {
            if (f.Matches(entry.Local, entry.LocalPort) || f.Matches(entry.Remote, entry.RemotePort))
            {
                return true;
            }
            // A listener on every address (0.0.0.0, ::) is the server of 127.0.0.1:8080 too.
            if (entry.State == TcpState.Listen && f.Port == entry.LocalPort && entry.Local.High == 0 && entry.Local.Low == 0)
            {
                return true;
            }
        }
        return false;
    }

    private static bool InAny(IReadOnlyCollection<System.Net.IPNetwork> networks, in IPAddressValue address)
    {
        foreach (var network in networks)
        {
            if (new AddressPrefix(network).Contains(address))
            {
                return true;
            }
        }
        return false;
    }
}
