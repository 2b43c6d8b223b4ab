using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TcpTools.Engine.Decoding;

/// <summary>
/// An IPv4 or IPv6 address held in 17 bytes of value type, so the decoder and tracker can key on addresses
/// without allocating an <see cref="IPAddress"/> per packet.
/// </summary>
public readonly struct IPAddressValue : IEquatable<IPAddressValue>
{
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly byte _version;

    private IPAddressValue(ulong high, ulong low, byte version)
    {
        _high = high;
        _low = low;
        _version = version;
    }

    /// <summary>4 or 6; 0 for the default value.</summary>
    public int Version => _version;

    /// <summary>The first 8 bytes of an IPv6 address (0 for IPv4), for fixed-size keys.</summary>
    internal ulong High => _high;

    /// <summary>The last 8 bytes of an IPv6 address, or the IPv4 address.</summary>
    internal ulong Low => _low;

    internal static IPAddressValue FromParts(ulong high, ulong low, int version) => new(high, low, (byte)version);

    public static IPAddressValue FromIPv4(ReadOnlySpan<byte> bytes) => new(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), 4);

    public static IPAddressValue FromIPv6(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), 6);

    public static IPAddressValue FromIPAddress(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        return address.AddressFamily == AddressFamily.InterNetwork ? FromIPv4(b[..n]) : FromIPv6(b[..n]);
    }

    /// <summary>Writes the address in network order; returns 4 or 16.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (_version == 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
            return 4;
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        return 16;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        int n = WriteBytes(b);
        return new IPAddress(b[..n]);
    }

    public bool Equals(IPAddressValue other) => _high == other._high && _low == other._low && _version == other._version;

    public override bool Equals(object? obj) => obj is IPAddressValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low, _version);

    public static bool operator ==(IPAddressValue left, IPAddressValue right) => left.Equals(right);

    public static bool operator !=(IPAddressValue left, IPAddressValue right) => !left.Equals(right);

    /// <summary>Orders addresses (IPv4 before IPv6, then numerically); used to give a flow one canonical key.</summary>
    public int CompareTo(IPAddressValue other)
    {
        int c = _version.CompareTo(other._version);
        if (c != 0)
        {
            return c;
        }
        c = _high.CompareTo(other._high);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public override string ToString() => _version == 0 ? "" : ToIPAddress().ToString();
}
