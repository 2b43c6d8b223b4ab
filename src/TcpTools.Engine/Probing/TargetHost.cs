using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace TcpTools.Engine.Probing;

/// <summary>
/// The host part of a probe target as nmap, masscan and zmap take it: a name or an address ("web01", "198.18.0.5"),
/// a CIDR block ("198.18.0.0/22", "fd00:198:18::/120", "web01/24": the block around the name's address), a range of
/// whole addresses ("198.18.0.1-198.18.0.40", "fd00:198:18::1-fd00:198:18::40"), IPv4 octet ranges
/// ("198.18.0.1-40", "198.18.0-3.1-254") or an IPv6 last-group range ("fd00:198:18::1-ff").
/// </summary>
public sealed class TargetHost
{
    private TargetHost(string text, string? name, int? prefix, List<AddressRange> ranges, bool isBlock)
    {
        Text = text;
        Name = name;
        Prefix = prefix;
        Ranges = ranges;
        IsBlock = isBlock;
    }

    /// <summary>As written.</summary>
    public string Text { get; }

    /// <summary>A host name to resolve first; null for addresses.</summary>
    public string? Name { get; }

    /// <summary>The block size written after '/', for names and addresses; null for single hosts and ranges.</summary>
    public int? Prefix { get; }

    /// <summary>The addresses (empty for a name until it is resolved: see <see cref="WithAddress"/>).</summary>
    public IReadOnlyList<AddressRange> Ranges { get; }

    /// <summary>A CIDR block: its network (and, for IPv4, broadcast) address is not probed.</summary>
    public bool IsBlock { get; }

    /// <summary>More than one address (a block, a range).</summary>
    public bool IsMany => Ranges.Count > 1 || (Ranges.Count == 1 && Ranges[0].First != Ranges[0].Last);

    public bool? IsIPv6 => Ranges.Count == 0 ? null : Ranges[0].IsIPv6;

    /// <summary>The block or address a name resolved to.</summary>
    public TargetHost WithAddress(IPAddress address) => Prefix is int p
        ? new TargetHost(Text, Name, p, new List<AddressRange> { AddressRange.Block(address, p) }, true)
        : new TargetHost(Text, Name, null, new List<AddressRange> { AddressRange.Single(address) }, false);

    public static bool TryParse(string host, out TargetHost target, out string? error)
    {
        target = null!;
        error = null;
        int slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string left = host[..slash], right = host[(slash + 1)..];
            bool literal = IPAddress.TryParse(left, out var address) && !left.Contains('%', StringComparison.Ordinal);
            int bits = literal && address!.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
            if (!int.TryParse(right, NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > bits || right.Length > 3)
            {
                error = $"'{host}': after '/' comes a prefix length from 0 to {bits}, as in 198.18.0.0/24 or fd00:198:18::/120.";
                return false;
            }
            if (literal)
            {
                target = new TargetHost(host, null, prefix, new List<AddressRange> { AddressRange.Block(address!, prefix) }, true);
                return true;
            }
            if (!ProbeTargets.IsPlausibleName(left))
            {
                error = $"'{left}' is not a host name or an IP address.";
                return false;
            }
            target = new TargetHost(host, left, prefix, new List<AddressRange>(), true);
            return true;
        }
        if (IPAddress.TryParse(host, out var single) && IsAddressText(host))
        {
            target = new TargetHost(host, null, null, new List<AddressRange> { AddressRange.Single(single) }, false);
            return true;
        }
        if (host.Contains('-', StringComparison.Ordinal))
        {
            if (TryOctetRanges(host, out var octets, out error))
            {
                target = new TargetHost(host, null, null, octets, false);
                return true;
            }
            if (error != null)
            {
                return false;
            }
            if (TryAddressRange(host, out var range, out error))
            {
                target = new TargetHost(host, null, null, new List<AddressRange> { range }, false);
                return true;
            }
            if (error != null)
            {
                return false;
            }
        }
        if (host.All(char.IsAsciiDigit) || host.All(c => char.IsAsciiDigit(c) || c == '-'))
        {
            error = $"'{host}' is a number, not a host (PowerShell splits an unquoted 'host:80,443' at the comma: quote the target).";
            return false;
        }
        if (!ProbeTargets.IsPlausibleName(host))
        {
            error = $"'{host}' is not a host name, an IP address, a CIDR block (198.18.0.0/24) or a range (198.18.0.1-40).";
            return false;
        }
        target = new TargetHost(host, host, null, new List<AddressRange>(), false);
        return true;
    }

    // IPAddress.TryParse also takes "1", "1.2" and "0x7f.1" (inet_aton's forms): as targets those are typos.
    private static bool IsAddressText(string s) =>
        s.Contains(':', StringComparison.Ordinal) || (s.Count(c => c == '.') == 3 && s.All(c => char.IsAsciiDigit(c) || c == '.'));

    /// <summary>"198.18.0.1-40", "198.18.0-3.1-254": each IPv4 octet a number or a range, the product of them.</summary>
    private static bool TryOctetRanges(string host, out List<AddressRange> ranges, out string? error)
    {
        ranges = new List<AddressRange>();
        error = null;
        string[] parts = host.Split('.');
        if (parts.Length != 4 || !parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiDigit(c) || c == '-') && p.Count(c => c == '-') <= 1))
        {
            return false; // not this form (an address range, a name): no error
        }
        var lo = new int[4];
        var hi = new int[4];
        for (int i = 0; i < 4; i++)
        {
            string p = parts[i];
            int dash = p.IndexOf('-', StringComparison.Ordinal);
            string a = dash < 0 ? p : p[..dash], b = dash < 0 ? p : p[(dash + 1)..];
            if (!byte.TryParse(a.Length == 0 ? "0" : a, NumberStyles.None, CultureInfo.InvariantCulture, out byte first)
                || !byte.TryParse(b.Length == 0 ? "255" : b, NumberStyles.None, CultureInfo.InvariantCulture, out byte last))
            {
                error = $"'{host}': '{p}' is not an octet (0-255) or a range of them such as 1-40.";
                return false;
            }
            if (last < first)
            {
                error = $"'{host}': the range '{p}' runs backwards.";
                return false;
            }
            (lo[i], hi[i]) = (first, last);
        }
        long pieces = (long)(hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1);
        if (pieces > 65_536 && !(lo[3] == 0 && hi[3] == 255))
        {
            error = $"'{host}' makes {pieces:N0} separate ranges: write it as CIDR blocks.";
            return false;
        }
        var list = new List<AddressRange>();
        for (int a = lo[0]; a <= hi[0]; a++)
        {
            for (int b = lo[1]; b <= hi[1]; b++)
            {
                for (int c = lo[2]; c <= hi[2]; c++)
                {
                    uint prefix = (uint)(a << 24 | b << 16 | c << 8);
                    list.Add(new AddressRange(false, prefix | (uint)lo[3], prefix | (uint)hi[3]));
                }
            }
        }
        ranges = AddressRange.Normalize(list);
        return true;
    }

    /// <summary>"198.18.0.1-198.18.0.40", "fd00::1-fd00::40" or "fd00::1-ff" (the last group).</summary>
    private static bool TryAddressRange(string host, out AddressRange range, out string? error)
    {
        range = default;
        error = null;
        int dash = host.IndexOf('-', StringComparison.Ordinal);
        if (dash != host.LastIndexOf('-'))
        {
            return false;
        }
        string a = host[..dash], b = host[(dash + 1)..];
        if (!IPAddress.TryParse(a, out var first) || !IsAddressText(a))
        {
            return false;
        }
        bool v6 = first.AddressFamily == AddressFamily.InterNetworkV6;
        UInt128 start = AddressRange.ToNumber(first), end;
        if (IPAddress.TryParse(b, out var last) && IsAddressText(b))
        {
            if (last.AddressFamily != first.AddressFamily)
            {
                error = $"'{host}' mixes IPv4 and IPv6.";
                return false;
            }
            end = AddressRange.ToNumber(last);
        }
        else if (v6 && b.Length is > 0 and <= 4 && ushort.TryParse(b, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort group))
        {
            end = (start & ~(UInt128)0xFFFF) | group;
        }
        else
        {
            error = $"'{host}': a range is written 198.18.0.1-198.18.0.40, 198.18.0.1-40 or fd00::1-fd00::40 (or fd00::1-ff).";
            return false;
        }
        if (end < start)
        {
            error = $"the range '{host}' runs backwards.";
            return false;
        }
        range = new AddressRange(v6, start, end);
        return true;
    }
}
