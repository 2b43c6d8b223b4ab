using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.NetworkInformation;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// Finds, for the flows a live capture creates, the processes of this host that hold their endpoints: on its own
/// thread, so the capture only queues the flow's key. An endpoint whose address is one of this host's is looked up
/// in the kernel's socket table (sock_diag's exact lookup: the connection's socket, or the listener that answers for
/// its port while the connection is still a request) and its inode found in /proc/PID/fd (a cache refreshed on a miss,
/// at most every 50 ms). Best effort by nature: a client socket that is gone (or in TIME_WAIT) by the time it is
/// looked up, a millisecond after its SYN, has no owner to find.
/// </summary>
public sealed class FlowOwnerResolver : IDisposable
{
    private const int RescanIntervalMs = 50;
    private const int LocalAddressRefreshMs = 2000;
    private const int MaxTries = 3;
    private readonly ConcurrentQueue<(FlowKey Key, int Tries)> _pending = new();
    private readonly ConcurrentDictionary<OwnerKey, FlowOwners> _found = new();
    private readonly AutoResetEvent _signal = new(false);
    private readonly Thread _thread;
    private readonly SafeFileHandle? _namespace;
    private readonly string _procRoot;
    private volatile bool _stopping;
    private const int QuickScanProcesses = 32;
    private static readonly IPAddressValue s_any4 = IPAddressValue.FromIPv4(new byte[4]);
    private static readonly IPAddressValue s_any6 = IPAddressValue.FromIPv6(new byte[16]);
    private const int MaxCachedSockets = 200_000;
    private const int MaxPending = 10_000;
    private readonly Dictionary<ulong, int> _inodes = new();
    private readonly Dictionary<int, string?> _names = new();
    private long _completeScanAt = long.MinValue / 2;
    private HashSet<IPAddressValue> _local = new();
    private long _localAt = long.MinValue / 2;
    private readonly List<SocketEntry> _lookup = new(1);
    private readonly List<(FlowKey, int)> _retry = new();

    /// <summary>Starts the resolver in the calling thread's network namespace (the one being captured).</summary>
    public FlowOwnerResolver() : this("/proc")
    {
    }

    internal FlowOwnerResolver(string procRoot)
    {
        _procRoot = procRoot;
        try
        {
            _namespace = File.OpenHandle($"{procRoot}/thread-self/ns/net");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _namespace = null; // an old kernel: the process's namespace is the thread's
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "TcpTools flow owners" };
        _thread.Start();
    }

    /// <summary>Flows whose owners were looked up, found (on either side), and whose endpoints were local but had no owner to find.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    public long Found => Interlocked.Read(ref _foundCount);

    public long NotFound => Interlocked.Read(ref _notFound);

    private long _queued;
    private long _skipped;

    /// <summary>New connections not looked up because too many were waiting.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);
    private long _foundCount;
    private long _notFound;

    /// <summary>Queues a new flow (client side first); returns at once.</summary>
    internal void Enqueue(in FlowKey key)
    {
        // One wake-up for a burst of new flows: the resolver clears the flag before it drains the queue.
        if (_pending.Count >= MaxPending)
        {
            Interlocked.Increment(ref _skipped); // more new connections than lookups can follow: these go without
            return;
        }
        _pending.Enqueue((key, 0));
        Interlocked.Increment(ref _queued);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _signal.Set();
        }
    }

    /// <summary>The owners found for the flow so far, or null.</summary>
    internal FlowOwners? Find(in FlowKey key) => _found.TryGetValue(OwnerKey.Of(key), out var owners) ? owners : null;

    /// <summary>The flow has left the tracker: a later flow of the same endpoints is another connection.</summary>
    internal void Forget(in FlowKey key) => _found.TryRemove(OwnerKey.Of(key), out _);

    /// <summary>Waits until everything queued so far was looked up (tests; at most <paramref name="timeout"/>).</summary>
    internal bool Drain(TimeSpan timeout)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!_pending.IsEmpty || Volatile.Read(ref _busy) != 0)
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                return false;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    private int _busy;
    private int _wakePending;
    private int _diag = -1;

    public void Dispose()
    {
        _stopping = true;
        _signal.Set();
        _thread.Join(TimeSpan.FromSeconds(2));
        _signal.Dispose();
        _namespace?.Dispose();
    }

    private void Run()
    {
        if (_namespace is not null && LibC.setns((int)_namespace.DangerousGetHandle(), LibC.CloneNewNet) != 0)
        {
            return; // cannot see the captured namespace's sockets: find nothing rather than wrong owners
        }
        _diag = SockDiag.Open(out _); // one netlink socket for every lookup, in the captured namespace
        if (_diag < 0)
        {
            return;
        }
        try
        {
            Loop();
        }
        finally
        {
            SockDiag.Close(_diag);
        }
    }

    private void Loop()
    {
        while (!_stopping)
        {
            _signal.WaitOne(_retry.Count > 0 ? RescanIntervalMs : 1000);
            Volatile.Write(ref _busy, 1);
            Volatile.Write(ref _wakePending, 0);
            foreach (var r in _retry)
            {
                _pending.Enqueue(r);
            }
            _retry.Clear();
            while (!_stopping && _pending.TryDequeue(out var item))
            {
                Resolve(item.Key, item.Tries);
            }
            Volatile.Write(ref _busy, 0);
        }
    }

    private void Resolve(in FlowKey key, int tries)
    {
        if (_local.Count == 0 || _pending.IsEmpty)
        {
            RefreshLocal(); // at most every 2 s, and not while connections wait
        }
        var client = Side(key.AddressA, key.PortA, key.AddressB, key.PortB, out bool clientLocal, out bool clientPending);
        var server = Side(key.AddressB, key.PortB, key.AddressA, key.PortA, out bool serverLocal, out bool serverPending);
        if ((clientPending || serverPending) && tries + 1 < MaxTries)
        {
            _retry.Add((key, tries + 1)); // an inode the cache does not know yet: after the next scan
            return;
        }
        if (client.Pid is null && server.Pid is null)
        {
            if (clientLocal || serverLocal)
            {
                Interlocked.Increment(ref _notFound);
            }
            return;
        }
        _found[OwnerKey.Of(key)] = new FlowOwners { ClientPid = client.Pid, ClientName = client.Name, ServerPid = server.Pid, ServerName = server.Name };
        Interlocked.Increment(ref _foundCount);
    }

    /// <summary>The process of one endpoint, when its address is this host's; pending when its inode is not cached yet.</summary>
    private (int? Pid, string? Name) Side(IPAddressValue local, ushort localPort, IPAddressValue remote, ushort remotePort, out bool isLocal, out bool pending)
    {
        pending = false;
        isLocal = _local.Contains(local);
        if (!isLocal)
        {
            return (null, null);
        }
        _lookup.Clear();
        if (SockDiag.Lookup(_diag, local, localPort, remote, remotePort, _lookup) != 0 || _lookup.Count == 0)
        {
            return (null, null);
        }
        var entry = _lookup[0];
        if (entry.Inode == 0 && entry.State != TcpState.TimeWait && entry.State != TcpState.Listen)
        {
            // A request socket, or a connection in the accept queue (no file yet, so no inode): the listener's
            // process is the one that will accept it.
            _lookup.Clear();
            var any = local.Version == 6 ? s_any6 : s_any4;
            if (SockDiag.Lookup(_diag, local, localPort, any, 0, _lookup) != 0 || _lookup.Count == 0)
            {
                return (null, null);
            }
            entry = _lookup[0];
        }
        if (entry.Inode == 0)
        {
            return (null, null); // TIME_WAIT already: no process holds it
        }
        if (!_inodes.TryGetValue(entry.Inode, out int pid))
        {
            // Newest processes first, stopping at the owner: a just-started client is found in a few reads. A socket
            // nobody holds any more costs a read of every process, so after one such scan only the newest few are
            // read for 50 ms (bounded work however many short connections come).
            long now = Environment.TickCount64;
            int budget = now - _completeScanAt < RescanIntervalMs ? QuickScanProcesses : int.MaxValue;
            if (_inodes.Count > MaxCachedSockets)
            {
                _inodes.Clear();
            }
            int? owner = SocketOwners.FindOwner(entry.Inode, _procRoot, _inodes, budget, out bool complete);
            if (complete)
            {
                _completeScanAt = now;
            }
            if (owner is null)
            {
                pending = !complete;
                return (null, null);
            }
            pid = owner.Value;
        }
        string? name = SocketOwners.ProcessName(_procRoot, pid);
        if (name is null)
        {
            _names.TryGetValue(pid, out name); // gone since: the name it had
        }
        else
        {
            _names[pid] = name;
        }
        return (pid, name);
    }

    private void RefreshLocal()
    {
        long now = Environment.TickCount64;
        if (now - _localAt < LocalAddressRefreshMs)
        {
            return;
        }
        _localAt = now;
        var local = new HashSet<IPAddressValue>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                {
                    var value = IPAddressValue.FromIPAddress(a.Address);
                    local.Add(value);
                    if (a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                    {
                        local.Add(IPAddressValue.FromIPAddress(a.Address.MapToIPv6()));
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            return;
        }
        // All of 127.0.0.0/8 is this host's, as is ::1; the common loopback addresses are enough here.
        local.Add(IPAddressValue.FromIPAddress(System.Net.IPAddress.Loopback));
        local.Add(IPAddressValue.FromIPAddress(System.Net.IPAddress.IPv6Loopback));
        _local = local;
    }

    private readonly record struct OwnerKey(ulong AHigh, ulong ALow, ulong BHigh, ulong BLow, ushort APort, ushort BPort, uint Context)
    {
        public static OwnerKey Of(in FlowKey k) =>
            new(k.AddressA.High, k.AddressA.Low, k.AddressB.High, k.AddressB.Low, k.PortA, k.PortB, (uint)k.IPVersion | (k.TunnelKey << 8));
    }
}
