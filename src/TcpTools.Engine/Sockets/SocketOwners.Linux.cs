using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Enumeration;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// Which processes hold which sockets, as ss -p finds them: every /proc/PID/fd entry is a link, and a socket's
/// reads "socket:[INODE]". Reading another user's fd directory needs root or CAP_SYS_PTRACE; those processes are
/// counted, not failed. A process that exits during the scan is skipped without a word.
/// </summary>
internal static unsafe class SocketOwners
{
    private const int PathCapacity = 64;
    private const int LinkCapacity = 64;
    private static ReadOnlySpan<byte> SocketPrefix => "socket:["u8;

    /// <summary>The processes (ascending PID) that hold each of the wanted inodes (every socket's, when null).</summary>
    public static Dictionary<ulong, List<int>> Scan(HashSet<ulong>? wanted, string procRoot, out int deniedProcesses)
    {
        var owners = new Dictionary<ulong, List<int>>();
        deniedProcesses = 0;
        if (wanted is { Count: 0 })
        {
            return owners;
        }
        var pids = Pids(procRoot);
        pids.Sort();
        foreach (int pid in pids)
        {
            switch (ScanProcess(procRoot, pid, inode =>
            {
                if (wanted is null || wanted.Contains(inode))
                {
                    if (!owners.TryGetValue(inode, out var list))
                    {
                        owners[inode] = list = new List<int>(1);
                    }
                    if (list.Count == 0 || list[^1] != pid)
                    {
                        list.Add(pid);
                    }
                }
                return false;
            }))
            {
                case ScanResult.Denied:
                    deniedProcesses++;
                    break;
            }
        }
        return owners;
    }

    /// <summary>
    /// The process that holds one socket, looking at the newest processes first (a connection's client is often a
    /// process just started: curl, a script) and stopping when it is found; every socket seen on the way goes into
    /// <paramref name="cache"/>. At most <paramref name="maxProcesses"/> processes are read; <paramref name="complete"/>
    /// says whether that was all of them.
    /// </summary>
    public static int? FindOwner(ulong inode, string procRoot, Dictionary<ulong, int> cache, int maxProcesses, out bool complete)
    {
        var pids = Pids(procRoot);
        pids.Sort();
        int? found = null;
        int read = 0;
        for (int i = pids.Count - 1; i >= 0 && found is null && read < maxProcesses; i--, read++)
        {
            int pid = pids[i];
            ScanProcess(procRoot, pid, seen =>
            {
                cache.TryAdd(seen, pid);
                if (seen == inode)
                {
                    found = pid;
                    return true;
                }
                return false;
            });
        }
        complete = found is null && read >= pids.Count;
        return found;
    }

    private enum ScanResult
    {
        Read,
        Denied,
        Gone,
    }

    private static List<int> Pids(string procRoot)
    {
        var pids = new List<int>();
        try
        {
            foreach (string dir in Directory.EnumerateDirectories(procRoot))
            {
                if (int.TryParse(Path.GetFileName(dir.AsSpan()), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid))
                {
                    pids.Add(pid);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            pids.Clear();
        }
        return pids;
    }

    private static readonly EnumerationOptions s_options = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    /// <summary>Hands every socket inode the process holds to <paramref name="seen"/> until it returns true.</summary>
    private static ScanResult ScanProcess(string procRoot, int pid, Func<ulong, bool> seen)
    {
        try
        {
            // The transform reads the link into a stack buffer: no string per descriptor.
            var inodes = new FileSystemEnumerable<ulong>($"{procRoot}/{pid}/fd", (ref FileSystemEntry entry) => SocketInode(entry.Directory, entry.FileName), s_options);
            foreach (ulong inode in inodes)
            {
                if (inode != 0 && seen(inode))
                {
                    break;
                }
            }
            return ScanResult.Read;
        }
        catch (UnauthorizedAccessException)
        {
            return ScanResult.Denied;
        }
        catch (Exception e) when (e is IOException)
        {
            // Exited during the scan (DirectoryNotFound is an IOException), or a kernel thread's odd fd dir.
            return ScanResult.Gone;
        }
    }

    /// <summary>The process's name as ps shows it (/proc/PID/comm), or null when it has gone.</summary>
    public static string? ProcessName(string procRoot, int pid)
    {
        try
        {
            return File.ReadAllText($"{procRoot}/{pid}/comm").TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The inode in "socket:[INODE]" that the entry links to, or 0 for anything else.</summary>
    private static ulong SocketInode(ReadOnlySpan<char> directory, ReadOnlySpan<char> fileName)
    {
        byte* path = stackalloc byte[PathCapacity];
        int length = directory.Length + 1 + fileName.Length;
        if (length >= PathCapacity)
        {
            return 0;
        }
        int i = 0;
        foreach (char c in directory)
        {
            path[i++] = (byte)c; // /proc/PID/fd and a descriptor number: ASCII
        }
        path[i++] = (byte)'/';
        foreach (char c in fileName)
        {
            path[i++] = (byte)c;
        }
        path[i] = 0;
        byte* link = stackalloc byte[LinkCapacity];
        nint n = LibC.readlink(path, link, LinkCapacity);
        if (n <= SocketPrefix.Length + 1 || n >= LinkCapacity)
        {
            return 0;
        }
        var target = new ReadOnlySpan<byte>(link, (int)n);
        if (!target.StartsWith(SocketPrefix) || target[^1] != (byte)']')
        {
            return 0;
        }
        ulong inode = 0;
        foreach (byte b in target[SocketPrefix.Length..^1])
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return 0;
            }
            inode = inode * 10 + (ulong)(b - '0');
        }
        return inode;
    }
}
