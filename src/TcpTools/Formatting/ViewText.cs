using System;
using System.Globalization;
using System.Management.Automation;

namespace TcpTools.Formatting;

/// <summary>
/// The column text of TcpTools' table views (TcpTools.format.ps1xml), shared by the views of live and of deserialized
/// objects. Values come in as PowerShell hands them over (numbers, text, or deserialized copies of them) and are read
/// as PowerShell's own casts read them; numbers are written in the current culture, as the -f operator writes them.
/// </summary>
public static class ViewText
{
    private const char Ellipsis = '\u2026';

    /// <summary>The value as text, its start cut off to fit <paramref name="width"/> (endpoints: the port stays).</summary>
    public static string ElideLeft(object? value, int width)
    {
        string text = LanguagePrimitives.ConvertTo<string>(value) ?? "";
        return text.Length > width ? Ellipsis + text.Substring(text.Length - (width - 1)) : text;
    }

    /// <summary>The value as text, its end cut off to fit <paramref name="width"/> (history: the start matters most).</summary>
    public static string ElideRight(object? value, int width)
    {
        string text = LanguagePrimitives.ConvertTo<string>(value) ?? "";
        return text.Length > width ? text.Substring(0, width - 1) + Ellipsis : text;
    }

    /// <summary>
    /// Anomaly counts as <c>Name=N</c> in the order of <see cref="TcpAnomaly"/>, cut to <paramref name="width"/>: from a
    /// live connection's <see cref="TcpAnomalyCounts"/>, the hashtable it crosses remoting as, or its Name=N text when it
    /// was serialized deeper than PowerShell's default depth.
    /// </summary>
    public static string Anomalies(object? counts, int width)
    {
        object? value = counts is PSObject ps ? ps.BaseObject : counts;
        var entries = new System.Collections.Generic.List<(uint Order, string Text)>();
        if (value is System.Collections.IDictionary dictionary)
        {
            foreach (System.Collections.DictionaryEntry e in dictionary)
            {
                entries.Add(Entry(LanguagePrimitives.ConvertTo<string>(e.Key) ?? "", LanguagePrimitives.ConvertTo<string>(e.Value) ?? ""));
            }
        }
        else if (value is string text)
        {
            foreach (string pair in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                entries.Add(eq < 0 ? Entry(pair, "") : Entry(pair.Substring(0, eq), pair.Substring(eq + 1)));
            }
        }
        entries.Sort((a, b) => a.Order.CompareTo(b.Order));
        return ElideRight(string.Join(" ", entries.ConvertAll(e => e.Text)), width);

        static (uint, string) Entry(string name, string count) =>
            (Enum.TryParse(name, ignoreCase: true, out TcpAnomaly kind) ? (uint)kind : uint.MaxValue, count.Length > 0 ? name + "=" + count : name);
    }

    /// <summary>Packet counts as client/server: exact below 100,000 each, else shortened (12k, 1.5M, 2.0G).</summary>
    public static string Packets(object? client, object? server)
    {
        double c = Number(client), s = Number(server);
        return c < 1e5 && s < 1e5 ? Pair(c, s) : Pair(ShortPackets(c), ShortPackets(s));
    }

    /// <summary>Byte counts as client/server: exact while the pair fits 15 characters, else shortened (1.5M, 2.0G, 1.0T).</summary>
    public static string Bytes(object? client, object? server)
    {
        double c = Number(client), s = Number(server);
        string exact = Pair(c, s);
        return exact.Length <= 15 ? exact : Pair(ShortBytes(c), ShortBytes(s));
    }

    /// <summary>Seconds as the shortest readable span: 1.2ms, 3.500s, 4m05s, 2h03m, 5d04h.</summary>
    public static string Duration(object? seconds)
    {
        double d = Number(seconds);
        return d switch
        {
            < 1 => Format("{0:0.0}ms", d * 1e3),
            < 60 => Format("{0:0.000}s", d),
            < 3600 => Format("{0}m{1:00}s", Math.Floor(d / 60), Math.Floor(d % 60)),
            < 360000 => Format("{0}h{1:00}m", Math.Floor(d / 3600), Math.Floor(d % 3600 / 60)),
            _ => Format("{0}d{1:00}h", Math.Floor(d / 86400), Math.Floor(d % 86400 / 3600)),
        };
    }

    /// <summary>
    /// A socket's timer as ss -o names it: "timewait 59s", "on 204ms/2" (retransmission, after 2 tries),
    /// "keepalive 1h59m", "persist 1.2s"; empty without one. Takes the enum or its deserialized text.
    /// </summary>
    public static string SocketTimer(object? timer, object? remainingSeconds, object? retransmits)
    {
        string kind = LanguagePrimitives.ConvertTo<string>(timer is PSObject p ? p.BaseObject : timer) ?? "";
        string name = kind switch
        {
            "Retransmit" => "on",
            "KeepAlive" => "keepalive",
            "TimeWait" => "timewait",
            "ZeroWindowProbe" => "persist",
            _ => "",
        };
        if (name.Length == 0 || remainingSeconds is null)
        {
            return "";
        }
        double d = Number(remainingSeconds);
        string left = d switch
        {
            < 1 => Format("{0:0}ms", d * 1e3),
            < 10 => Format("{0:0.0}s", d),
            < 60 => Format("{0:0}s", d),
            < 3600 => Format("{0}m{1:00}s", Math.Floor(d / 60), Math.Floor(d % 60)),
            _ => Format("{0}h{1:00}m", Math.Floor(d / 3600), Math.Floor(d % 3600 / 60)),
        };
        double tries = retransmits is null ? 0 : Number(retransmits);
        return tries > 0 ? Format("{0} {1}/{2}", name, left, tries) : name + " " + left;
    }

    /// <summary>The owner as "name(pid)", "+N" when N more processes share the socket, cut to <paramref name="width"/>.</summary>
    public static string Process(object? name, object? pids, int width)
    {
        object? list = pids is PSObject p ? p.BaseObject : pids;
        var ids = new System.Collections.Generic.List<string>();
        if (list is System.Collections.IEnumerable many and not string)
        {
            foreach (object? id in many)
            {
                ids.Add(LanguagePrimitives.ConvertTo<string>(id) ?? "");
            }
        }
        if (ids.Count == 0)
        {
            return "";
        }
        string more = ids.Count > 1 ? Format("+{0}", ids.Count - 1) : "";
        string suffix = "(" + ids[0] + more + ")";
        string text = LanguagePrimitives.ConvertTo<string>(name) ?? "";
        return text.Length + suffix.Length > width ? ElideRight(text, Math.Max(1, width - suffix.Length)) + suffix : text + suffix;
    }

    private static double Number(object? value) => LanguagePrimitives.ConvertTo<double>(value);

    private static string Pair(object client, object server) => Format("{0}/{1}", client, server);

    private static string ShortPackets(double v) => v switch
    {
        < 1e5 => Format("{0}", v),
        < 1e6 => Format("{0:0}k", v / 1e3),
        < 1e9 => Format("{0:0.0}M", v / 1e6),
        _ => Format("{0:0.0}G", v / 1e9),
    };

    private static string ShortBytes(double v) => v switch
    {
        < 1e6 => Format("{0}", v),
        < 1e9 => Format("{0:0.0}M", v / 1e6),
        < 1e12 => Format("{0:0.0}G", v / 1e9),
        _ => Format("{0:0.0}T", v / 1e12),
    };

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.CurrentCulture, format, args);
}
