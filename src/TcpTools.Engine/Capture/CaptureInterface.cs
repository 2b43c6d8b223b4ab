namespace TcpTools.Engine.Capture;

/// <summary>An interface described by a capture file: pcap has one, a pcapng section one per IDB.</summary>
public sealed class CaptureInterface
{
    internal CaptureInterface(int id, LinkType linkType, int snapLength, string? name, long unitsPerSecond, bool unitsArePowerOfTwo, int resolutionExponent, long offsetSeconds)
    {
        Id = id;
        LinkType = linkType;
        SnapLength = snapLength;
        Name = name;
        UnitsPerSecond = unitsPerSecond;
        _powerOfTwo = unitsArePowerOfTwo;
        _exponent = resolutionExponent;
        _offsetNanoseconds = offsetSeconds * 1_000_000_000L;
    }

    private readonly bool _powerOfTwo;
    private readonly int _exponent;
    private readonly long _offsetNanoseconds;

    public int Id { get; }
    public LinkType LinkType { get; }
    public int SnapLength { get; }

    /// <summary>if_name from pcapng, or null.</summary>
    public string? Name { get; }

    /// <summary>Timestamp units per second (1e6 unless if_tsresol says otherwise).</summary>
    public long UnitsPerSecond { get; }

    /// <summary>Converts a pcapng 64-bit timestamp in this interface's units to Unix nanoseconds.</summary>
    internal long ToUnixNanoseconds(ulong ticks)
    {
        long ns;
        if (_powerOfTwo)
        {
            ulong whole = ticks >> _exponent;
            ulong frac = ticks & ((1UL << _exponent) - 1);
            ns = unchecked((long)(whole * 1_000_000_000UL + (ulong)((System.UInt128)frac * 1_000_000_000UL >> _exponent)));
        }
        else if (_exponent <= 9)
        {
            ns = unchecked((long)ticks * Pow10(9 - _exponent));
        }
        else
        {
            ns = unchecked((long)(ticks / (ulong)Pow10(_exponent - 9)));
        }
        return ns + _offsetNanoseconds;
    }

    private static long Pow10(int n)
    {
        long r = 1;
        for (int i = 0; i < n; i++)
        {
            r *= 10;
        }
        return r;
    }
}
