using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace TcpTools.Engine.Probing;

/// <summary>
/// Parses probe targets as people write them: "host", "host:80", "host:80,443,8000-8100", "10.0.0.5:22",
/// "[fd00::1]:443", a bare IPv6 address ("fd00::1", ports from -Port), and port lists ("80,443,8000-8100", "ssh,https").
/// </summary>
public static class ProbeTargets
{
    /// <summary>Splits a target into host and ports (empty when the target names none). False with a reason when malformed.</summary>
    public static bool TryParse(string text, out string host, out List<ushort> ports, out string? error)
    {
        ports = new List<ushort>();
        if (!TrySplit(text, out host, out string? portText, out error))
        {
            return false;
        }
        if (host.All(char.IsAsciiDigit))
        {
            error = $"'{host}' is a number, not a host (PowerShell splits an unquoted 'host:80,443' at the comma: quote the target).";
            return false;
        }
        if (!IPAddress.TryParse(host, out _) && !IsPlausibleName(host))
        {
            error = $"'{host}' is not a host name or an IP address.";
            return false;
        }
        return TryPortsOf(text, portText, ports, out error);
    }

    /// <summary>
    /// Splits a target into its hosts (a name, an address, a CIDR block or a range: see <see cref="TargetHost"/>) and
    /// ports, as Send-TcpSyn takes them ("198.18.0.0/24:22,80", "[fd00:198:18::/120]:443", "198.18.0.1-40").
    /// </summary>
    public static bool TryParseTarget(string text, out TargetHost host, out List<ushort> ports, out string? error)
    {
        host = null!;
        ports = new List<ushort>();
        if (!TrySplit(text, out string hostText, out string? portText, out error))
        {
            return false;
        }
        if (!TargetHost.TryParse(hostText, out host, out error))
        {
            return false;
        }
        return TryPortsOf(text, portText, ports, out error);
    }

    private static bool TryPortsOf(string text, string? portText, List<ushort> ports, out string? error)
    {
        error = null;
        if (portText != null && !TryParsePorts(portText, ports, out error))
        {
            error = $"'{text}': {error}";
            return false;
        }
        return true;
    }

    /// <summary>"host:ports", "[v6]:ports", a bare IPv6 address (its colons hold no port) or a host alone.</summary>
    private static bool TrySplit(string text, out string host, out string? portText, out string? error)
    {
        host = "";
        portText = null;
        error = null;
        string t = (text ?? "").Trim();
        if (t.Length == 0)
        {
            error = "The target is empty.";
            return false;
        }
        if (t[0] == '[')
        {
            int close = t.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}' opens '[' without closing it: write IPv6 targets as [fd00::1]:443.";
                return false;
            }
            host = t[1..close];
            string rest = t[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':' || rest.Length == 1)
                {
                    error = $"'{text}': after ']' comes ':' and the ports, as in [fd00::1]:443.";
                    return false;
                }
                portText = rest[1..];
            }
            if (!host.Contains(':', StringComparison.Ordinal) || !(IPAddress.TryParse(host, out var inBrackets) ? inBrackets.AddressFamily == AddressFamily.InterNetworkV6 : host.IndexOfAny(['/', '-']) > 0))
            {
                error = $"'{host}' in brackets is not an IPv6 address.";
                return false;
            }
        }
        else
        {
            int colons = t.Split(':').Length - 1;
            if (colons > 1)
            {
                host = t; // a bare IPv6 address: no ports possible without brackets
                if (!IPAddress.TryParse(host, out _) && host.IndexOfAny(['/', '-']) < 0)
                {
                    error = $"'{text}' is neither host:port nor an IPv6 address (write IPv6 with a port as [fd00::1]:443).";
                    return false;
                }
            }
            else if (colons == 1)
            {
                int c = t.IndexOf(':', StringComparison.Ordinal);
                host = t[..c];
                portText = t[(c + 1)..];
            }
            else
            {
                host = t;
            }
        }
        if (host.Length == 0)
        {
            error = $"'{text}' names no host.";
            return false;
        }
        return true;
    }

    /// <summary>
    /// Adds the ports of "80", "80,443", "8000-8100", "-1024" (1-1024), "60000-" (to 65535) and service names
    /// ("https", "ssh,https", see <see cref="ServiceNames"/>) to <paramref name="into"/>.
    /// </summary>
    public static bool TryParsePorts(string text, List<ushort> into, out string? error)
    {
        error = null;
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
            {
                error = $"empty port in '{text}'.";
                return false;
            }
            // A name first: service names hold dashes (ms-sql-s), which would otherwise read as a range.
            if (ServiceNames.TryGetPort(part, out ushort named))
            {
                into.Add(named);
                continue;
            }
            if (char.IsAsciiLetter(part[0]))
            {
                error = $"'{part}' is not a TCP service name this system knows (such as ssh, http, https, postgresql), a port (0-65535) or a range such as 8000-8100.";
                return false;
            }
            int dash = part.IndexOf('-', StringComparison.Ordinal);
            string a = dash < 0 ? part : part[..dash];
            string b = dash < 0 ? part : part[(dash + 1)..];
            if (!TryPort(a.Length == 0 ? "1" : a, out int first) || !TryPort(b.Length == 0 ? "65535" : b, out int last))
            {
                error = $"'{part}' is not a port (0-65535) or a range such as 8000-8100.";
                return false;
            }
            if (last < first)
            {
                error = $"the range '{part}' runs backwards.";
                return false;
            }
            for (int p = first; p <= last; p++)
            {
                into.Add((ushort)p);
            }
        }
        return true;
    }

    /// <summary>Why a resolved address must not be probed (broadcast, multicast, unspecified), or null.</summary>
    public static string? RefusalReason(IPAddress address)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return "is the unspecified address";
        }
        if (address.Equals(IPAddress.Broadcast))
        {
            return "is the broadcast address";
        }
        if (address.IsIPv6Multicast)
        {
            return "is an IPv6 multicast address";
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            byte first = address.GetAddressBytes()[0];
            if (first >= 224 && first <= 239)
            {
                return "is an IPv4 multicast address";
            }
        }
        return null;
    }

    /// <summary>
    /// The addresses no block or range probes, with why: the unspecified addresses, IPv4 multicast (224.0.0.0/4) and
    /// limited broadcast, IPv6 multicast (ff00::/8). A single such address is refused (<see cref="RefusalReason"/>);
    /// a block that holds some loses them, with a warning.
    /// </summary>
    internal static readonly (AddressRange Range, string Reason)[] RefusedRanges =
    {
        (AddressRange.Single(IPAddress.Any), "the unspecified address"),
        (AddressRange.Block(IPAddress.Parse("224.0.0.0"), 4), "IPv4 multicast"),
        (AddressRange.Single(IPAddress.Broadcast), "the broadcast address"),
        (AddressRange.Single(IPAddress.IPv6Any), "the unspecified address"),
        (AddressRange.Block(IPAddress.Parse("ff00::"), 8), "IPv6 multicast"),
    };

    private static bool TryPort(string s, out int port) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535;

    /// <summary>A DNS name as people type them: letters, digits, '-', '.', '_', at most 253 characters.</summary>
    internal static bool IsPlausibleName(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }
        foreach (char ch in host)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '.' or '_'))
            {
                return false;
            }
        }
        return true;
    }
}
