using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TcpTools.Engine.Probing;

/// <summary>Why a target or the whole scan is refused (an error) or changed (a warning).</summary>
public enum ScanProblemCategory
{
    /// <summary>Malformed, refused or contradicting the parameters.</summary>
    InvalidArgument,

    /// <summary>A name that does not resolve.</summary>
    ObjectNotFound,

    /// <summary>Larger than a scan takes (without -Force, or at all).</summary>
    LimitsExceeded,
}

/// <summary>One thing wrong with a target, before anything is sent: an error (the target is skipped) or a warning.</summary>
public sealed record ScanProblem(string ErrorId, ScanProblemCategory Category, string Message, string Target, bool IsWarning = false, Exception? Exception = null);

/// <summary>A target as given, once parsed and resolved: the addresses left after -Exclude and refusals, and its ports.</summary>
public sealed class ScanTarget
{
    internal ScanTarget(string text, List<AddressRange> ranges, ushort[] ports)
    {
        Text = text;
        Ranges = ranges;
        Ports = ports;
        Addresses = AddressRange.Total(ranges);
    }

    /// <summary>The target as written.</summary>
    public string Text { get; }

    /// <summary>Its addresses, sorted and merged.</summary>
    public IReadOnlyList<AddressRange> Ranges { get; }

    /// <summary>Its ports, sorted, each once.</summary>
    public IReadOnlyList<ushort> Ports { get; }

    public UInt128 Addresses { get; }

    /// <summary>Addresses × ports (saturating).</summary>
    public UInt128 Pairs => Addresses > UInt128.MaxValue / (uint)Math.Max(1, Ports.Count) ? UInt128.MaxValue : Addresses * (uint)Ports.Count;

    /// <summary>"198.18.0.5", or "198.18.0.0/22 (1,022 addresses)", for -WhatIf and -Verbose.</summary>
    public string Describe()
    {
        string ranges = Ranges.Count <= 3 ? string.Join(", ", Ranges) : $"{string.Join(", ", Ranges.Take(3))}, … ({Ranges.Count} ranges)";
        return Addresses == 1 ? ranges : $"{ranges} ({Number(Addresses)} addresses)";
    }

    /// <summary>"port 22" or "100 ports (1-100)".</summary>
    public string DescribePorts() => Ports.Count == 1 ? "port " + Ports[0].ToString(CultureInfo.InvariantCulture) : $"{Ports.Count:N0} ports ({PortRanges(Ports)})";

    internal bool Contains(bool ipv6, UInt128 address, ushort port)
    {
        if (((ushort[])Ports).AsSpan().BinarySearch(port) < 0)
        {
            return false;
        }
        int lo = 0, hi = Ranges.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = Ranges[mid];
            int c = r.IsIPv6 != ipv6 ? r.IsIPv6.CompareTo(ipv6) : r.Last < address ? -1 : r.First > address ? 1 : 0;
            if (c == 0)
            {
                return true;
            }
            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return false;
    }

    internal static string Number(UInt128 n) => n <= ulong.MaxValue ? ((ulong)n).ToString("N0", CultureInfo.InvariantCulture) : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>"1-1024,8080,8443" from sorted ports.</summary>
    internal static string PortRanges(IReadOnlyList<ushort> ports)
    {
        var parts = new List<string>();
        for (int i = 0; i < ports.Count;)
        {
            int j = i;
            while (j + 1 < ports.Count && ports[j + 1] == ports[j] + 1)
            {
                j++;
            }
            parts.Add(i == j ? ports[i].ToString(CultureInfo.InvariantCulture) : $"{ports[i]}-{ports[j]}");
            i = j + 1;
        }
        return parts.Count <= 6 ? string.Join(",", parts) : string.Join(",", parts.Take(6)) + ",…";
    }
}
