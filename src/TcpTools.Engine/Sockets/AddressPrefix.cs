using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Sockets;

/// <summary>An IPNetwork as two masked words, to match decoded addresses without making an IPAddress per socket.</summary>
internal readonly struct AddressPrefix
{
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly ulong _maskHigh;
    private readonly ulong _maskLow;
    private readonly int _version;

    public AddressPrefix(IPNetwork network)
    {
        var value = IPAddressValue.FromIPAddress(network.BaseAddress);
        _version = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 4 : 6;
        int bits = network.PrefixLength;
        if (_version == 4)
        {
            _maskHigh = 0;
            _maskLow = bits == 0 ? 0 : (0xFFFF_FFFFUL << (32 - bits)) & 0xFFFF_FFFFUL;
        }
        else
        {
            _maskHigh = bits == 0 ? 0 : bits >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - bits);
            _maskLow = bits <= 64 ? 0 : bits == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - bits);
        }
        _high = value.High & _maskHigh;
        _low = value.Low & _maskLow;
    }

    /// <summary>Whether the address is in the prefix; an IPv4 prefix also holds the IPv4-mapped form (::ffff:a.b.c.d).</summary>
    public bool Contains(in IPAddressValue address)
    {
        ulong high = address.High;
        ulong low = address.Low;
        int version = address.Version;
        if (_version == 4 && version == 6 && high == 0 && (low >> 32) == 0xFFFF)
        {
            low &= 0xFFFF_FFFFUL;
            version = 4;
        }
        return version == _version && (high & _maskHigh) == _high && (low & _maskLow) == _low;
    }

    /// <summary>
    /// Reads "198.18.0.1", "198.18.0.0/15", "fd00:198:18::/64" or "[fd00::1]": an address is its own /32 or /128;
    /// bits beyond a prefix are ignored (198.18.0.1/15 is 198.18.0.0/15, as ip route reads it).
    /// </summary>
    public static bool TryParse(string text, out IPNetwork network, out string? error)
    {
        network = default;
        error = null;
        string t = (text ?? "").Trim();
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? t : t[..slash];
        if (addressText.Length > 2 && addressText[0] == '[' && addressText[^1] == ']')
        {
            addressText = addressText[1..^1];
        }
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || address.ToString().Contains('%', StringComparison.Ordinal))
        {
            error = $"'{text}' is not an IP address or prefix: write 198.18.0.1, 198.18.0.0/15 or fd00:198:18::/64 (names are not resolved here).";
            return false;
        }
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int bits = max;
        if (slash >= 0 && (!int.TryParse(t.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > max))
        {
            error = $"'{text}': the prefix length after '/' must be 0 to {max}.";
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        for (int i = 0; i < length; i++)
        {
            int keep = Math.Clamp(bits - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        network = new IPNetwork(new IPAddress(bytes[..length]), bits);
        return true;
    }
}
