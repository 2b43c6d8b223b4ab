using System;
using System.Globalization;
using System.Management.Automation;

namespace TcpTools.Formatting;

/// <summary>
/// The PowerShell side of TcpTools' times (TcpTools.types.ps1xml). A time property such as FirstSeen reads in
/// PowerShell as a System.DateTime (compare it, sort by it, call AddSeconds on it) that turns into text as ISO 8601
/// UTC with every digit the capture has: 2024-05-01T19:50:02.696344Z, or nine digits for nanosecond captures.
/// </summary>
/// <remarks>
/// Export-Csv writes a property's value with its ToString(), and DateTime's is the culture's short form, which drops
/// everything below the second. So the code properties here shadow the .NET DateTime properties with the same DateTime
/// wrapped in a PSObject whose type name, TcpTools.Timestamp, carries a ToString() that writes ISO 8601. The wrapper
/// keeps the exact nanoseconds as a note, since DateTime stops at 100 ns. ConvertTo-Json reads the .NET properties
/// (ISO 8601 to 100 ns) and never sees the wrapper.
/// </remarks>
public static class TimestampMembers
{
    /// <summary>The type name the wrapped times carry; remoting adds "Deserialized." in front.</summary>
    public const string TypeName = "TcpTools.Timestamp";

    private const string NanosecondsNote = "UnixTimeNanoseconds";

    /// <summary>TcpSegment.Timestamp.</summary>
    public static object? Timestamp(PSObject instance) =>
        instance?.BaseObject is TcpSegment s ? Wrap(s.UnixTimeNanoseconds) : null;

    /// <summary>TcpConnectionState.FirstSeen.</summary>
    public static object? FirstSeen(PSObject instance) =>
        instance?.BaseObject is TcpConnectionState c ? Wrap(c.FirstSeenUnixNanoseconds) : null;

    /// <summary>TcpConnectionState.LastSeen.</summary>
    public static object? LastSeen(PSObject instance) =>
        instance?.BaseObject is TcpConnectionState c ? Wrap(c.LastSeenUnixNanoseconds) : null;

    /// <summary>TcpConnectionState.TimeWaitEnds (null unless an endpoint is in TIME_WAIT).</summary>
    public static object? TimeWaitEnds(PSObject instance) =>
        instance?.BaseObject is TcpConnectionState { TimeWaitEndsUnixNanoseconds: long ns } ? Wrap(ns) : null;

    /// <summary>
    /// ToString() of a TcpTools.Timestamp: ISO 8601 UTC with 0, 3, 6 or 9 fractional digits (as many as the value
    /// needs); with a format, DateTime's own formatting ('HH:mm:ss.ffffff').
    /// </summary>
    public static string ToString(PSObject instance, string? format = null, IFormatProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.BaseObject is not DateTime time)
        {
            return instance.BaseObject?.ToString() ?? "";
        }
        if (!string.IsNullOrEmpty(format))
        {
            return time.ToString(format, provider ?? CultureInfo.InvariantCulture);
        }
        long ns = instance.Properties[NanosecondsNote]?.Value is long exact ? exact : (time.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
        return Iso8601(ns);
    }

    /// <summary>ISO 8601 UTC from nanoseconds since 1970, fraction trimmed to the last non-zero group of three digits.</summary>
    public static string Iso8601(long unixNanoseconds)
    {
        long seconds = Math.DivRem(unixNanoseconds, 1_000_000_000L, out long fraction);
        if (fraction < 0)
        {
            fraction += 1_000_000_000L;
            seconds--;
        }
        string whole = DateTime.UnixEpoch.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (fraction == 0)
        {
            return whole + "Z";
        }
        string digits = fraction.ToString("D9", CultureInfo.InvariantCulture);
        int length = fraction % 1_000_000 == 0 ? 3 : fraction % 1_000 == 0 ? 6 : 9;
        return string.Concat(whole, ".", digits.AsSpan(0, length), "Z");
    }

    private static PSObject Wrap(long unixNanoseconds)
    {
        var wrapped = new PSObject(DateTime.UnixEpoch.AddTicks(unixNanoseconds / 100));
        wrapped.TypeNames.Insert(0, TypeName);
        wrapped.Properties.Add(new PSNoteProperty(NanosecondsNote, unixNanoseconds));
        return wrapped;
    }
}
