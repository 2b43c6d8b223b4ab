using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using CsCheck;
using TcpTools.Engine.Probing;

namespace TcpTools.Engine.Tests;

/// <summary>Networks as targets: the host grammar, exclusions, limits, overlaps and the random order of a scan plan.</summary>
public class ScanPlanTests
{
    [Theory]
    [InlineData("198.18.0.0/30", "198.18.0.0/30", true)]
    [InlineData("198.18.0.77/24", "198.18.0.0/24", true)]
    [InlineData("198.18.0.5/32", "198.18.0.5", true)]
    [InlineData("fd00:198:18::/120", "fd00:198:18::/120", true)]
    [InlineData("198.18.0.1-40", "198.18.0.1-198.18.0.40", false)]
    [InlineData("198.18.0.1-198.18.1.200", "198.18.0.1-198.18.1.200", false)]
    [InlineData("198.18.0-1.1-2", "198.18.0.1-198.18.0.2,198.18.1.1-198.18.1.2", false)]
    [InlineData("198.18.0-3.0-255", "198.18.0.0/22", false)]
    [InlineData("fd00:198:18::1-ff", "fd00:198:18::1-fd00:198:18::ff", false)]
    [InlineData("fd00:198:18::1-fd00:198:18::1:0", "fd00:198:18::1-fd00:198:18::1:0", false)]
    [InlineData("198.18.0.9", "198.18.0.9", false)]
    public void Hosts_parse_as_blocks_and_ranges(string text, string ranges, bool block)
    {
        Assert.True(TargetHost.TryParse(text, out var host, out string? error), error);
        Assert.Null(host.Name);
        Assert.Equal(ranges, string.Join(",", host.Ranges));
        Assert.Equal(block, host.IsBlock);
    }

    [Theory]
    [InlineData("web01/24", "web01", 24, "198.18.0.0/24")]
    [InlineData("web-01", "web-01", null, "198.18.0.77")]
    public void Names_keep_their_prefix_for_later(string text, string name, int? prefix, string resolved)
    {
        Assert.True(TargetHost.TryParse(text, out var host, out string? error), error);
        Assert.Equal((name, prefix), (host.Name, host.Prefix));
        Assert.Equal(resolved, string.Join(",", host.WithAddress(IPAddress.Parse("198.18.0.77")).Ranges));
    }

    [Theory]
    [InlineData("198.18.0.0/33", "prefix length")]
    [InlineData("fd00::/129", "prefix length")]
    [InlineData("198.18.0.0/x", "prefix length")]
    [InlineData("198.18.0.40-1", "backwards")]
    [InlineData("198.18.0.1-300", "not an octet")]
    [InlineData("198.18.0.9-198.18.0.1", "backwards")]
    [InlineData("198.18.0.1-fd00::1", "mixes")]
    [InlineData("10-20", "is a number")]
    [InlineData("we b", "not a host name")]
    [InlineData("0-255.0-255.0-255.1-254", "CIDR")]
    public void Malformed_hosts_say_why(string text, string reason)
    {
        Assert.False(TargetHost.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("198.18.0.0/24:22,80", "198.18.0.0/24", "22,80")]
    [InlineData("[fd00:198:18::/120]:443", "fd00:198:18::/120", "443")]
    [InlineData("fd00:198:18::/120", "fd00:198:18::/120", "")]
    [InlineData("198.18.0.1-40:22", "198.18.0.1-198.18.0.40", "22")]
    public void Targets_with_blocks_split_host_and_ports(string text, string ranges, string ports)
    {
        Assert.True(ProbeTargets.TryParseTarget(text, out var host, out var p, out string? error), error);
        Assert.Equal(ranges, string.Join(",", host.Ranges));
        Assert.Equal(ports, string.Join(",", p));
    }

    private static (ScanPlan? Plan, List<ScanProblem> Problems) Plan(ScanPlanOptions options, params string[] targets)
    {
        var problems = new List<ScanProblem>();
        var planner = new ScanPlanner(options, problems);
        foreach (string t in targets)
        {
            if (planner.Read(t, Array.Empty<ushort>(), problems) is { } target)
            {
                planner.Accept(target);
            }
        }
        return (planner.Build(problems), problems);
    }

    private static List<(string Address, ushort Port)> Pairs(ScanPlan plan, ulong seed = 1) =>
        plan.Requests(seed).Select(r => (r.Address.ToString(), r.Port)).ToList();

    [Fact]
    public void A_block_skips_its_network_and_broadcast_addresses()
    {
        var (plan, problems) = Plan(new ScanPlanOptions(), "198.18.0.0/29:22", "198.18.1.0/31:22", "[fd00:198:18::/126]:22");
        Assert.Empty(problems);
        Assert.Equal(new[] { "198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5", "198.18.0.6", "198.18.1.0", "198.18.1.1", "fd00:198:18::1", "fd00:198:18::2", "fd00:198:18::3" },
            Pairs(plan!).Select(p => p.Address).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Overlapping_targets_probe_each_pair_once_with_the_first_target_as_label()
    {
        var (plan, problems) = Plan(new ScanPlanOptions(), "198.18.0.0/30:22,80", "198.18.0.2-3:80,443", "198.18.0.1:22");
        Assert.Empty(problems);
        var requests = plan!.Requests(7).ToList();
        var pairs = requests.Select(r => $"{r.Address}:{r.Port}").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "198.18.0.1:22", "198.18.0.1:80", "198.18.0.2:22", "198.18.0.2:443", "198.18.0.2:80", "198.18.0.3:443", "198.18.0.3:80" }, pairs);
        Assert.Equal(7UL, plan.Count);
        // 198.18.0.2 is in both of the first two targets: the first names it; .3 only in the second.
        Assert.All(requests.Where(r => r.Address.ToString() == "198.18.0.2"), r => Assert.Equal("198.18.0.0/30:22,80", r.Target));
        Assert.All(requests.Where(r => r.Address.ToString() == "198.18.0.3"), r => Assert.Equal("198.18.0.2-3:80,443", r.Target));
        // One answer per target: 198.18.0.1:22 counts for the first and the third.
        Assert.Equal(new[] { "198.18.0.0/30:22,80", "198.18.0.1:22" }, plan.TargetsOf(IPAddress.Parse("198.18.0.1"), 22).Select(t => t.Text));
        Assert.Equal(new UInt128[] { 4, 4, 1 }, plan.Targets.Select(t => t.Pairs));
    }

    [Fact]
    public void Each_host_has_one_address_object_for_all_its_ports()
    {
        var (plan, problems) = Plan(new ScanPlanOptions(), "198.18.0.0/29:1-50");
        Assert.Empty(problems);
        var requests = plan!.Requests(11).ToList();
        Assert.Equal(300, requests.Count);
        foreach (var host in requests.GroupBy(r => r.Address.ToString()))
        {
            Assert.Equal(50, host.Count());
            Assert.Single(host.Select(r => r.Address).Distinct(ReferenceEqualityComparer.Instance));
        }
    }

    [Fact]
    public void Exclusions_remove_addresses_and_a_wholly_excluded_target_is_a_warning()
    {
        var (plan, problems) = Plan(new ScanPlanOptions { Exclude = new[] { "198.18.0.2,198.18.0.4-5", "198.18.1.0/24" } }, "198.18.0.0/29:22", "198.18.1.7:22");
        Assert.Equal(new[] { "198.18.0.1", "198.18.0.3", "198.18.0.6" }, Pairs(plan!).Select(p => p.Address).Order(StringComparer.Ordinal));
        var warning = Assert.Single(problems);
        Assert.Equal(("TargetExcluded", true, "198.18.1.7:22"), (warning.ErrorId, warning.IsWarning, warning.Target));
    }

    [Fact]
    public void An_exclude_list_that_removes_everything_is_an_error_before_anything_is_sent()
    {
        var (plan, problems) = Plan(new ScanPlanOptions { Exclude = new[] { "198.18.0.0/16" } }, "198.18.0.0/24:22", "198.18.3.3:80");
        Assert.Null(plan);
        var error = Assert.Single(problems, p => !p.IsWarning);
        Assert.Equal(("NothingToProbe", ScanProblemCategory.InvalidArgument), (error.ErrorId, error.Category));
        Assert.Equal(2, problems.Count(p => p.IsWarning));
    }

    [Fact]
    public void A_malformed_exclusion_is_reported()
    {
        var problems = new List<ScanProblem>();
        _ = new ScanPlanner(new ScanPlanOptions { Exclude = new[] { "198.18.0.0/40" } }, problems);
        Assert.Equal("InvalidExclusion", Assert.Single(problems).ErrorId);
    }

    [Theory]
    [InlineData("[fd00:198:18::/64]:22", false, "TargetTooLarge")]
    [InlineData("[fd00:198:18::/64]:22", true, "TargetTooLarge")]   // 2^64 pairs: beyond any scan
    [InlineData("[fd00:198:18::/111]:22", false, "TargetTooLarge")]
    [InlineData("[fd00:198:18::/111]:22", true, null)]
    [InlineData("[fd00:198:18::/112]:22", false, null)]
    [InlineData("10.0.0.0/7:22", false, "TargetTooLarge")]
    [InlineData("10.0.0.0/7:22", true, null)]
    [InlineData("0.0.0.0/0:1-65535", true, null)]
    public void Blocks_beyond_the_limit_need_force_and_some_are_too_large_even_with_it(string target, bool force, string? error)
    {
        var (plan, problems) = Plan(new ScanPlanOptions { Force = force }, target);
        Assert.Equal(error, problems.SingleOrDefault(p => !p.IsWarning)?.ErrorId);
        Assert.Equal(error is null, plan is not null);
        if (error != null)
        {
            Assert.Equal(ScanProblemCategory.LimitsExceeded, problems.Single(p => !p.IsWarning).Category);
        }
    }

    [Fact]
    public void The_whole_IPv4_space_plans_without_multicast_broadcast_or_unspecified_and_in_little_memory()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (plan, problems) = Plan(new ScanPlanOptions { Force = true }, "0.0.0.0/0:1-65535");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // 2^32 - 2 (network, broadcast of the /0) - 224.0.0.0/4 (2^28); 0.0.0.0 and 255.255.255.255 are the edges.
        Assert.Equal((UInt128)(4294967296UL - 2 - 268435456UL), plan!.Addresses);
        Assert.Equal((ulong)plan.Addresses * 65535, plan.Count);
        Assert.Contains(problems, p => p.ErrorId == "TargetPartlyRefused" && p.Message.Contains("IPv4 multicast", StringComparison.Ordinal));
        Assert.True(allocated < 1_000_000, $"{allocated} bytes to plan 2^48 pairs");
        var first = plan.Requests(3).Take(10_000).ToList();
        Assert.DoesNotContain(first, r => r.Address.GetAddressBytes()[0] is >= 224 and <= 239);
    }

    [Theory]
    [InlineData("224.0.0.0/24:80", "TargetRefused")]
    [InlineData("224.0.0.1:80", "TargetRefused")]
    [InlineData("255.255.255.255:80", "TargetRefused")]
    [InlineData("[ff02::/120]:80", "TargetRefused")]
    public void Groups_are_refused(string target, string error)
    {
        var (plan, problems) = Plan(new ScanPlanOptions(), target);
        Assert.Null(plan);
        Assert.Equal(error, Assert.Single(problems).ErrorId);
    }

    [Fact]
    public void The_order_is_a_permutation_that_spreads_hosts_and_ports()
    {
        var (plan, _) = Plan(new ScanPlanOptions(), "198.18.0.0/24:1-100");
        var pairs = Pairs(plan!, seed: 42);
        Assert.Equal(254 * 100, pairs.Count);
        Assert.Equal(pairs.Count, pairs.Distinct().Count());
        // No burst on one host: among any 50 consecutive probes, no host gets more than a few.
        for (int i = 0; i + 50 <= pairs.Count; i += 50)
        {
            Assert.True(pairs.Skip(i).Take(50).GroupBy(p => p.Address).Max(g => g.Count()) <= 5, $"burst at {i}");
        }
        // A different key, a different order; the same key, the same order.
        Assert.NotEqual(pairs.Take(100), Pairs(plan!, seed: 43).Take(100));
        Assert.Equal(pairs, Pairs(plan!, seed: 42));
    }

    [Fact]
    public void The_permutation_is_a_bijection_for_any_size_and_key()
    {
        Gen.Select(Gen.ULong[0, 5000], Gen.ULong).Sample((n, seed) =>
        {
            var p = new IndexPermutation(n, seed);
            var seen = new bool[n];
            for (ulong i = 0; i < n; i++)
            {
                ulong x = p[i];
                if (x >= n || seen[x])
                {
                    return false;
                }
                seen[x] = true;
            }
            return true;
        }, iter: 300);
    }

    [Fact]
    public void Ranges_subtract_and_merge()
    {
        var a = AddressRange.Normalize(new[] { R("198.18.0.10-198.18.0.20"), R("198.18.0.15-198.18.0.30"), R("198.18.0.31-198.18.0.31") });
        Assert.Equal("198.18.0.10-198.18.0.31", string.Join(",", a));
        var b = AddressRange.Subtract(a, AddressRange.Normalize(new[] { R("198.18.0.10-198.18.0.11"), R("198.18.0.20-198.18.0.21"), R("198.18.0.31-198.18.0.40") }));
        Assert.Equal("198.18.0.12-198.18.0.19,198.18.0.22-198.18.0.30", string.Join(",", b));
    }

    private static AddressRange R(string text)
    {
        Assert.True(TargetHost.TryParse(text, out var host, out _));
        return host.Ranges[0];
    }
}
