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
        host = "";
        ports = new List<ushort>();
        error = null;
        string t = (text ?? "").Trim();
        if (t.Length == 0)
        {
            error = "The target is empty.";
            return false;
        }
        string? portText = null;
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
            if (!IPAddress.TryParse(host, out var inBrackets) || inBrackets.AddressFamily != AddressFamily.InterNetworkV6)
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
                if (!IPAddress.TryParse(host, out _))
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
        if (host.All(char.IsAsciiDigit))
        {
            error = $"'{host}' is a number, not a host (PowerShell splits an unquoted 'host:80,443' at the comma: quote the target).";
            return false;
        }
        if (!IsPlausibleHost(host))
        {
            error = $"'{host}' is not a host name or an IP address.";
            return false;
        }
        if (portText != null && !TryParsePorts(portText, ports, out error))
        {
            error = $"'{text}': {error}";
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

    private static bool TryPort(string s, out int port) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535;

    private static bool IsPlausibleHost(string host)
    {
        if (IPAddress.TryParse(host, out _))
        {
            return true;
        }
        if (host.Length > 253)
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
