using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Decoding;

/// <summary>
/// The text of recently written addresses, so that the objects written for many connections between few hosts
/// share one string per address instead of formatting (and allocating an <see cref="System.Net.IPAddress"/> and a
/// string) twice per connection. Direct-mapped, 256 entries, no eviction bookkeeping: an address that maps to a
/// taken entry replaces it. Not thread-safe; one per tracker.
/// </summary>
internal sealed class AddressTextCache
{
    private const int IndexBits = 8;
    private const int Size = 1 << IndexBits;
    private readonly IPAddressValue[] _addresses = new IPAddressValue[Size];
    private readonly string?[] _texts = new string?[Size];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per flow: optimized at first call (see TcpTracker.Process)
    public string Get(in IPAddressValue address)
    {
        // Fibonacci hashing of both halves: neighbouring addresses land in different entries.
        ulong mixed = (address.Low ^ (address.High * 0x9E37_79B9_7F4A_7C15UL)) * 0x9E37_79B9_7F4A_7C15UL;
        int i = (int)(mixed >> (64 - IndexBits));
        string? text = _texts[i];
        if (text is not null && _addresses[i].Equals(address))
        {
            return text;
        }
        text = address.ToString();
        _addresses[i] = address;
        _texts[i] = text;
        return text;
    }
}
