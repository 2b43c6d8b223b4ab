using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace TcpTools.Engine.Probing;

/// <summary>
/// Every address × port pair of a scan, each once however many targets name it, held as ranges and port lists (a /16
/// × 65,535 ports is a few hundred bytes, not 4 billion entries) and visited in a keyed random order
/// (<see cref="IndexPermutation"/>) across hosts and ports. Overlapping targets are cut into pieces that each carry
/// the union of the ports of the targets covering them, and the name of the first of those targets.
/// </summary>
public sealed class ScanPlan
{
    private readonly List<Group> _groups;
    private readonly ulong[] _groupStarts;

    private ScanPlan(IReadOnlyList<ScanTarget> targets, List<Group> groups)
    {
        Targets = targets;
        _groups = groups;
        _groupStarts = new ulong[groups.Count];
        ulong total = 0;
        for (int i = 0; i < groups.Count; i++)
        {
            _groupStarts[i] = total;
            total += groups[i].Pairs;
        }
        Count = total;
        Addresses = AddressRange.Total(AddressRange.Normalize(targets.SelectMany(t => t.Ranges)));
    }

    /// <summary>The targets, in the order given.</summary>
    public IReadOnlyList<ScanTarget> Targets { get; }

    /// <summary>Address × port pairs to probe.</summary>
    public ulong Count { get; }

    /// <summary>Distinct addresses.</summary>
    public UInt128 Addresses { get; }

    /// <summary>The plan of <paramref name="targets"/>; null when it holds more than 2^62 pairs.</summary>
    public static ScanPlan? Create(IReadOnlyList<ScanTarget> targets)
    {
        // A sweep over each family's range boundaries: between two boundaries the same targets cover every address.
        var points = new List<(bool V6, UInt128 At, int Target, bool Start)>();
        for (int i = 0; i < targets.Count; i++)
        {
            foreach (var r in targets[i].Ranges)
            {
                points.Add((r.IsIPv6, r.First, i, true));
                points.Add((r.IsIPv6, r.Last + 1, i, false)); // no target reaches the last address of a family (refused ranges)
            }
        }
        points.Sort(static (a, b) => a.V6 != b.V6 ? a.V6.CompareTo(b.V6) : a.At.CompareTo(b.At));
        var groups = new List<Group>();
        var byPorts = new Dictionary<ushort[], Group>(new PortsComparer());
        var byCover = new Dictionary<string, Group>();
        var active = new List<int>();
        UInt128 pairs = 0;
        for (int p = 0; p < points.Count;)
        {
            var (v6, at, _, _) = points[p];
            while (p < points.Count && points[p].V6 == v6 && points[p].At == at)
            {
                var (_, _, target, start) = points[p++];
                if (start)
                {
                    int k = active.BinarySearch(target);
                    active.Insert(k < 0 ? ~k : k, target); // a target's own ranges never overlap: no duplicate
                }
                else
                {
                    active.Remove(target);
                }
            }
            if (active.Count == 0 || p == points.Count || points[p].V6 != v6)
            {
                continue;
            }
            var piece = new AddressRange(v6, at, points[p].At - 1);
            string cover = string.Join(",", active);
            if (!byCover.TryGetValue(cover, out var group))
            {
                ushort[] ports = active.Count == 1 ? (ushort[])targets[active[0]].Ports : active.SelectMany(t => targets[t].Ports).Distinct().Order().ToArray();
                if (!byPorts.TryGetValue(ports, out group))
                {
                    group = new Group(ports);
                    byPorts[ports] = group;
                    groups.Add(group);
                }
                byCover[cover] = group;
            }
            group.Add(piece, targets[active[0]].Text);
            pairs += piece.Count * (uint)group.Ports.Length;
            if (pairs > ScanPlanOptions.MaxPairs)
            {
                return null;
            }
        }
        return new ScanPlan(targets, groups);
    }

    /// <summary>Every pair once, in the random order <paramref name="seed"/> keys.</summary>
    public IEnumerable<ProbeRequest> Requests(ulong seed)
    {
        var order = new IndexPermutation(Count, seed);
        for (ulong i = 0; i < Count; i++)
        {
            yield return At(order[i]);
        }
    }

    /// <summary>The pair at <paramref name="index"/> of the plan's own (unpermuted) order.</summary>
    public ProbeRequest At(ulong index)
    {
        int g = Array.BinarySearch(_groupStarts, index);
        if (g < 0)
        {
            g = ~g - 1;
        }
        var group = _groups[g];
        ulong j = index - _groupStarts[g];
        ulong host = j % group.Hosts;
        ushort port = group.Ports[(int)(j / group.Hosts)];
        var (range, label, first) = group.Find(host);
        var cache = group.Addresses;
        var address = cache?[host] ?? AddressRange.ToAddress(range.IsIPv6, range.First + (host - first));
        if (cache != null)
        {
            cache[host] = address; // each host's IPAddress made once, not once per port
        }
        return new ProbeRequest(label, address, port);
    }

    /// <summary>The targets that hold <paramref name="address"/>:<paramref name="port"/> (for one answer per target).</summary>
    public IEnumerable<ScanTarget> TargetsOf(IPAddress address, ushort port)
    {
        bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        UInt128 n = AddressRange.ToNumber(address);
        return Targets.Where(t => t.Contains(v6, n, port));
    }

    /// <summary>Whether any target holds <paramref name="address"/>.</summary>
    public bool ContainsAddress(IPAddress address) =>
        ContainsAddress(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6, AddressRange.ToNumber(address));

    /// <summary>Whether any target holds <paramref name="address"/> (per answer: no IPAddress made).</summary>
    public bool ContainsAddress(in Decoding.IPAddressValue address) => ContainsAddress(address.Version == 6, AddressRange.ToNumber(address));

    private bool ContainsAddress(bool v6, UInt128 n)
    {
        foreach (var t in Targets)
        {
            foreach (var r in t.Ranges)
            {
                if (r.Contains(v6, n))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Pieces of address space that share one port list.</summary>
    private sealed class Group
    {
        private readonly List<(AddressRange Range, string Label, ulong First)> _pieces = new();

        public Group(ushort[] ports) => Ports = ports;

        public ushort[] Ports { get; }

        public ulong Hosts { get; private set; }

        public ulong Pairs => Hosts * (ulong)Ports.Length;

        /// <summary>
        /// Each host's address object, made at its first probe, where the group has at most 65,536 hosts and more
        /// than one port (at most 512 KB of references); larger groups make one per probe.
        /// </summary>
        public IPAddress?[]? Addresses => _addresses ??= Hosts <= 1 << 16 && Ports.Length > 1 ? new IPAddress?[Hosts] : null;

        private IPAddress?[]? _addresses;

        public void Add(AddressRange range, string label)
        {
            _pieces.Add((range, label, Hosts));
            Hosts += (ulong)range.Count;
        }

        public (AddressRange Range, string Label, ulong First) Find(ulong host)
        {
            int lo = 0, hi = _pieces.Count - 1;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) >>> 1;
                if (_pieces[mid].First <= host)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            return _pieces[lo];
        }
    }

    private sealed class PortsComparer : IEqualityComparer<ushort[]>
    {
        public bool Equals(ushort[]? x, ushort[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(ushort[] obj)
        {
            var h = new HashCode();
            h.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(obj.AsSpan()));
            return h.ToHashCode();
        }
    }
}
