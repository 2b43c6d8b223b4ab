using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace TcpTools.Engine.Probing;

/// <summary>How targets are read: address family, exclusions and size limits.</summary>
public sealed class ScanPlanOptions
{
    /// <summary>Names resolve to their IPv4 address only; IPv6 literals are refused.</summary>
    public bool IPv4Only { get; init; }

    /// <summary>Names resolve to their IPv6 address only; IPv4 literals are refused.</summary>
    public bool IPv6Only { get; init; }

    /// <summary>Addresses, blocks, ranges or names never probed (as nmap's --exclude).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    /// <summary>Allows targets beyond <see cref="MaxIPv4Addresses"/> / <see cref="MaxIPv6Addresses"/>.</summary>
    public bool Force { get; init; }

    /// <summary>The most IPv4 addresses one target holds without <see cref="Force"/>: 16,777,216 (a /8).</summary>
    public static UInt128 MaxIPv4Addresses => 1 << 24;

    /// <summary>The most IPv6 addresses one target holds without <see cref="Force"/>: 65,536 (a /112). A /64 is 2^64.</summary>
    public static UInt128 MaxIPv6Addresses => 1 << 16;

    /// <summary>The most address × port pairs of a scan at all (the permutation's domain).</summary>
    public static UInt128 MaxPairs => (UInt128)1 << 62;

    /// <summary>How long a name may take to resolve.</summary>
    public TimeSpan ResolveTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Turns targets as people write them into a <see cref="ScanPlan"/>: parses each (<see cref="ProbeTargets"/>,
/// <see cref="TargetHost"/>), resolves names, drops excluded and refused addresses and the network and broadcast
/// addresses of blocks, checks sizes, and reports what is wrong with each target as a <see cref="ScanProblem"/> before
/// anything is sent. Targets are offered (<see cref="Read"/>) and then accepted (<see cref="Accept"/>), so a caller
/// can ask the user in between (-WhatIf, -Confirm).
/// </summary>
public sealed class ScanPlanner
{
    private readonly ScanPlanOptions _options;
    private readonly List<AddressRange> _excluded;
    private readonly List<ScanTarget> _accepted = new();
    private int _whollyExcluded;

    /// <summary>Reads the exclusions; a malformed or unresolvable one is in <paramref name="problems"/> and the planner must not be used.</summary>
    public ScanPlanner(ScanPlanOptions options, List<ScanProblem> problems, CancellationToken cancel = default)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        var excluded = new List<AddressRange>();
        foreach (string text in options.Exclude.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!TargetHost.TryParse(text, out var host, out string? error))
            {
                problems.Add(new ScanProblem("InvalidExclusion", ScanProblemCategory.InvalidArgument, $"-Exclude: {error}", text));
                continue;
            }
            if (host.Name != null)
            {
                // Every address of an excluded name, whatever the family asked for the targets.
                var addresses = Lookup(text, host.Name, AddressFamily.Unspecified, problems, cancel);
                excluded.AddRange((addresses ?? Array.Empty<IPAddress>()).Select(a => host.WithAddress(a).Ranges[0]));
                continue;
            }
            excluded.AddRange(host.Ranges);
        }
        _excluded = AddressRange.Normalize(excluded);
    }

    /// <summary>The targets accepted so far.</summary>
    public IReadOnlyList<ScanTarget> Targets => _accepted;

    /// <summary>
    /// Parses and resolves one target, with <paramref name="extraPorts"/> added to its own. Null (and the reason in
    /// <paramref name="problems"/>) when it cannot be probed; warnings may come with a target too.
    /// </summary>
    public ScanTarget? Read(string text, IReadOnlyList<ushort> extraPorts, List<ScanProblem> problems, CancellationToken cancel = default)
    {
        if (!ProbeTargets.TryParseTarget(text, out TargetHost host, out var ports, out string? error))
        {
            problems.Add(new ScanProblem("InvalidTarget", ScanProblemCategory.InvalidArgument, error!, text));
            return null;
        }
        ports.AddRange(extraPorts);
        if (ports.Count == 0)
        {
            string hint = ushort.TryParse(text, out _) ? " (PowerShell splits an unquoted 'host:80,443' at the comma: quote it)" : "";
            problems.Add(new ScanProblem("TargetHasNoPort", ScanProblemCategory.InvalidArgument, $"'{text}' names no port: write host:port, or give -Port{hint}.", text));
            return null;
        }
        if (host.Name != null)
        {
            var family = _options.IPv4Only ? AddressFamily.InterNetwork : _options.IPv6Only ? AddressFamily.InterNetworkV6 : AddressFamily.Unspecified;
            var addresses = Lookup(text, host.Name, family, problems, cancel);
            if (addresses is null)
            {
                return null;
            }
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !_options.IPv6Only)
                ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6 && !_options.IPv4Only);
            if (chosen is null)
            {
                problems.Add(new ScanProblem("TargetNotResolved", ScanProblemCategory.ObjectNotFound,
                    $"'{host.Name}' has no {(_options.IPv4Only ? "IPv4 (A) address" : _options.IPv6Only ? "IPv6 (AAAA) address" : "address")}.", text,
                    Exception: new SocketException((int)SocketError.HostNotFound)));
                return null;
            }
            host = host.WithAddress(chosen);
        }
        bool v6 = host.IsIPv6 == true;
        if ((_options.IPv4Only && v6) || (_options.IPv6Only && !v6))
        {
            problems.Add(new ScanProblem("AddressFamilyMismatch", ScanProblemCategory.InvalidArgument,
                $"'{text}' is {(v6 ? "IPv6" : "IPv4")}, but -{(_options.IPv4Only ? "IPv4" : "IPv6")} was given.", text));
            return null;
        }
        var ranges = AddressRange.Normalize(host.Ranges);
        UInt128 size = AddressRange.Total(ranges);
        UInt128 limit = v6 ? ScanPlanOptions.MaxIPv6Addresses : ScanPlanOptions.MaxIPv4Addresses;
        if (size > limit && !_options.Force)
        {
            problems.Add(new ScanProblem("TargetTooLarge", ScanProblemCategory.LimitsExceeded,
                $"'{text}' holds {ScanTarget.Number(size)} addresses, more than the {ScanTarget.Number(limit)} ({(v6 ? "an IPv6 /112" : "an IPv4 /8")}) a target may hold without -Force.", text));
            return null;
        }
        var distinctPorts = SortedDistinct(ports);
        if (size == 0 || size > ScanPlanOptions.MaxPairs / (uint)distinctPorts.Length)
        {
            problems.Add(new ScanProblem("TargetTooLarge", ScanProblemCategory.LimitsExceeded,
                $"'{text}' makes {ScanTarget.Number(size)} addresses × {distinctPorts.Length:N0} ports: a scan takes at most 2^62 address and port pairs, even with -Force.", text));
            return null;
        }
        if (host.IsBlock && host.Prefix is int prefix)
        {
            // Network and broadcast addresses of a block, as routers treat them; a /31 or /32 (RFC 3021) has neither.
            // IPv6 has no broadcast: its all-zero host is the subnet routers' anycast address (RFC 4291 2.6.1).
            var edges = new List<AddressRange>();
            if (!v6 && prefix <= 30)
            {
                edges.Add(ranges[0] with { Last = ranges[0].First });
                edges.Add(ranges[0] with { First = ranges[0].Last });
            }
            else if (v6 && prefix <= 126)
            {
                edges.Add(ranges[0] with { Last = ranges[0].First });
            }
            ranges = AddressRange.Subtract(ranges, edges);
        }
        foreach (var (refused, reason) in ProbeTargets.RefusedRanges)
        {
            var left = AddressRange.Subtract(ranges, new List<AddressRange> { refused });
            UInt128 removed = AddressRange.Total(ranges) - AddressRange.Total(left);
            if (removed == 0)
            {
                continue;
            }
            if (left.Count == 0)
            {
                string what = host.IsMany ? $"holds only {reason} addresses" : $"({AddressRange.ToAddress(v6, ranges[0].First)}) is {reason}";
                problems.Add(new ScanProblem("TargetRefused", ScanProblemCategory.InvalidArgument,
                    $"'{text}' {what}: Send-TcpSyn probes hosts, not groups.", text));
                return null;
            }
            problems.Add(new ScanProblem("TargetPartlyRefused", ScanProblemCategory.InvalidArgument,
                $"'{text}': {ScanTarget.Number(removed)} addresses skipped ({reason}).", text, IsWarning: true));
            ranges = left;
        }
        var kept = AddressRange.Subtract(ranges, _excluded);
        if (kept.Count == 0)
        {
            _whollyExcluded++;
            problems.Add(new ScanProblem("TargetExcluded", ScanProblemCategory.InvalidArgument, $"'{text}' is wholly excluded by -Exclude: nothing to probe there.", text, IsWarning: true));
            return null;
        }
        return new ScanTarget(text, kept, distinctPorts);
    }

    /// <summary>Adds a target returned by <see cref="Read"/> to the plan.</summary>
    public void Accept(ScanTarget target) => _accepted.Add(target ?? throw new ArgumentNullException(nameof(target)));

    /// <summary>
    /// The plan of every accepted target, each address × port pair once however many targets hold it. Null, with an
    /// error in <paramref name="problems"/> when -Exclude removed every target or the whole is too large; null without
    /// one when nothing was accepted.
    /// </summary>
    public ScanPlan? Build(List<ScanProblem> problems)
    {
        if (_accepted.Count == 0)
        {
            if (_whollyExcluded > 0)
            {
                problems.Add(new ScanProblem("NothingToProbe", ScanProblemCategory.InvalidArgument,
                    $"-Exclude removes every address of the {TargetsText(_whollyExcluded)}: nothing is sent.", string.Join(", ", _options.Exclude)));
            }
            return null;
        }
        var plan = ScanPlan.Create(_accepted);
        if (plan is null)
        {
            problems.Add(new ScanProblem("ScanTooLarge", ScanProblemCategory.LimitsExceeded,
                "The targets together make more than 2^62 address and port pairs: split the scan.", string.Join(", ", _accepted.Select(t => t.Text))));
        }
        return plan;
    }

    /// <summary>The ports sorted, each once (a bitmap: a 65,535-port list costs 8 KiB, not a hash set).</summary>
    private static ushort[] SortedDistinct(List<ushort> ports)
    {
        var seen = new System.Collections.BitArray(65536);
        int count = 0;
        foreach (ushort p in ports)
        {
            if (!seen[p])
            {
                seen[p] = true;
                count++;
            }
        }
        var result = new ushort[count];
        for (int p = 0, i = 0; i < count; p++)
        {
            if (seen[p])
            {
                result[i++] = (ushort)p;
            }
        }
        return result;
    }

    private static string TargetsText(int n) => n == 1 ? "target" : $"{n} targets";

    private IPAddress[]? Lookup(string text, string name, AddressFamily family, List<ScanProblem> problems, CancellationToken cancel)
    {
        try
        {
            var lookup = Dns.GetHostAddressesAsync(name, family, cancel);
            if (!lookup.Wait(_options.ResolveTimeout, cancel))
            {
                problems.Add(new ScanProblem("TargetNotResolved", ScanProblemCategory.ObjectNotFound,
                    $"Resolving '{name}' took more than {_options.ResolveTimeout.TotalSeconds:0} seconds.", text, Exception: new TimeoutException()));
                return null;
            }
            return lookup.Result;
        }
        catch (Exception e) when (e is AggregateException { InnerException: SocketException or OperationCanceledException } or OperationCanceledException)
        {
            var inner = e is AggregateException a ? a.InnerException! : e;
            problems.Add(new ScanProblem("TargetNotResolved", ScanProblemCategory.ObjectNotFound, $"Cannot resolve '{name}': {inner.Message}", text, Exception: inner));
            return null;
        }
    }
}
