using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace TcpTools.Engine.Probing;

/// <summary>
/// A run of consecutive addresses of one family, First to Last inclusive, as numbers (IPv4 in the low 32 bits), so a
/// /16 or an IPv6 /112 is two numbers rather than a list.
/// </summary>
public readonly record struct AddressRange(bool IsIPv6, UInt128 First, UInt128 Last)
{
    /// <summary>How many addresses (a whole IPv6 /0 does not fit: callers refuse blocks that large first).</summary>
    public UInt128 Count => Last - First + 1;

    public static AddressRange Single(IPAddress address)
    {
        var n = ToNumber(address);
        return new AddressRange(address.AddressFamily == AddressFamily.InterNetworkV6, n, n);
    }

    /// <summary>The block <paramref name="address"/>/<paramref name="prefix"/> (host bits cleared).</summary>
    public static AddressRange Block(IPAddress address, int prefix)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        int bits = v6 ? 128 : 32;
        UInt128 hostMask = prefix >= bits ? UInt128.Zero : (UInt128.One << (bits - prefix)) - 1;
        UInt128 n = ToNumber(address);
        return new AddressRange(v6, n & ~hostMask, n | hostMask);
    }

    public static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        return n == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    /// <summary>The address as a number (IPv4 in the low 32 bits), without making an IPAddress.</summary>
    public static UInt128 ToNumber(in TcpTools.Engine.Decoding.IPAddressValue address)
    {
        Span<byte> b = stackalloc byte[16];
        int n = address.WriteBytes(b);
        return n == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    public static IPAddress ToAddress(bool ipv6, UInt128 number)
    {
        Span<byte> b = stackalloc byte[16];
        if (!ipv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, (uint)number);
            return new IPAddress(b[..4]);
        }
        BinaryPrimitives.WriteUInt128BigEndian(b, number);
        return new IPAddress(b);
    }

    public bool Contains(bool ipv6, UInt128 n) => ipv6 == IsIPv6 && n >= First && n <= Last;

    /// <summary>"198.18.0.0/22" when the range is a whole block, else "198.18.0.1-198.18.0.40", or the one address.</summary>
    public override string ToString()
    {
        string first = ToAddress(IsIPv6, First).ToString();
        if (First == Last)
        {
            return first;
        }
        UInt128 size = Count;
        if (size != 0 && (size & (size - 1)) == 0 && (First & (size - 1)) == 0)
        {
            int prefix = (IsIPv6 ? 128 : 32) - (int)UInt128.Log2(size);
            return $"{first}/{prefix}";
        }
        return $"{first}-{ToAddress(IsIPv6, Last)}";
    }

    /// <summary>Sorts and merges overlapping or touching ranges (IPv4 before IPv6).</summary>
    public static List<AddressRange> Normalize(IEnumerable<AddressRange> ranges)
    {
        var sorted = new List<AddressRange>(ranges);
        sorted.Sort(static (a, b) => a.IsIPv6 != b.IsIPv6 ? a.IsIPv6.CompareTo(b.IsIPv6) : a.First.CompareTo(b.First));
        var merged = new List<AddressRange>(sorted.Count);
        foreach (var r in sorted)
        {
            if (merged.Count > 0)
            {
                var last = merged[^1];
                if (last.IsIPv6 == r.IsIPv6 && (r.First <= last.Last || r.First == last.Last + 1) && last.Last != UInt128.MaxValue)
                {
                    if (r.Last > last.Last)
                    {
                        merged[^1] = last with { Last = r.Last };
                    }
                    continue;
                }
                if (last.IsIPv6 == r.IsIPv6 && last.Last == UInt128.MaxValue)
                {
                    continue; // already covers everything after it
                }
            }
            merged.Add(r);
        }
        return merged;
    }

    /// <summary>The normalized <paramref name="ranges"/> without any address of <paramref name="remove"/> (also normalized).</summary>
    public static List<AddressRange> Subtract(List<AddressRange> ranges, List<AddressRange> remove)
    {
        if (remove.Count == 0)
        {
            return ranges;
        }
        var result = new List<AddressRange>(ranges.Count);
        foreach (var r in ranges)
        {
            UInt128 start = r.First;
            bool done = false;
            foreach (var x in remove)
            {
                if (x.IsIPv6 != r.IsIPv6 || x.Last < start || x.First > r.Last)
                {
                    continue;
                }
                if (x.First > start)
                {
                    result.Add(r with { First = start, Last = x.First - 1 });
                }
                if (x.Last >= r.Last)
                {
                    done = true;
                    break;
                }
                start = x.Last + 1;
            }
            if (!done)
            {
                result.Add(r with { First = start });
            }
        }
        return result;
    }

    /// <summary>Adds the addresses of <paramref name="ranges"/> up, saturating at <see cref="UInt128.MaxValue"/>.</summary>
    public static UInt128 Total(IEnumerable<AddressRange> ranges)
    {
        UInt128 total = 0;
        foreach (var r in ranges)
        {
            UInt128 c = r.Count;
            total = c == 0 || total > UInt128.MaxValue - c ? UInt128.MaxValue : total + c;
        }
        return total;
    }
}
