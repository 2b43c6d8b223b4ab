using System;
using System.Numerics;

namespace TcpTools.Engine.Probing;

/// <summary>
/// A keyed random permutation of 0 … N-1 computed one index at a time, so a scan visits its address × port pairs in
/// an order no host can predict or feel as a burst, without a list of the pairs in memory (masscan's BlackRock and
/// zmap's cyclic groups do the same job). A four-round Feistel network over the smallest even bit width that holds
/// N is a bijection of that power-of-two domain; indexes that land at N or beyond are encrypted again ("cycle
/// walking") until they fall inside, which keeps it a bijection of 0 … N-1. The domain is under 4N, so a step takes
/// fewer than four encryptions on average.
/// </summary>
public sealed class IndexPermutation
{
    private const int Rounds = 4;
    private readonly ulong _count;
    private readonly int _halfBits;
    private readonly ulong _halfMask;
    private readonly ulong[] _keys = new ulong[Rounds];

    /// <param name="count">N, at most 2^62.</param>
    /// <param name="seed">The key; the same seed gives the same order (tests), a random one an unpredictable order.</param>
    public IndexPermutation(ulong count, ulong seed)
    {
        if (count > 1UL << 62)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "At most 2^62 indexes.");
        }
        _count = count;
        int bits = count <= 1 ? 2 : 64 - BitOperations.LeadingZeroCount(count - 1);
        _halfBits = Math.Max(1, (bits + 1) / 2);
        _halfMask = (1UL << _halfBits) - 1;
        ulong state = seed;
        for (int i = 0; i < Rounds; i++)
        {
            _keys[i] = SplitMix(ref state);
        }
    }

    public ulong Count => _count;

    /// <summary>The index at position <paramref name="i"/> of the permuted order (0 ≤ i &lt; N).</summary>
    public ulong this[ulong i]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, _count);
            ulong x = i;
            do
            {
                x = Encrypt(x);
            }
            while (x >= _count);
            return x;
        }
    }

    private ulong Encrypt(ulong x)
    {
        ulong left = x >> _halfBits, right = x & _halfMask;
        for (int r = 0; r < Rounds; r++)
        {
            ulong next = left ^ (Mix(right ^ _keys[r]) & _halfMask);
            left = right;
            right = next;
        }
        return (left << _halfBits) | right;
    }

    // splitmix64's finaliser: every input bit moves every output bit.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong SplitMix(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }
}
