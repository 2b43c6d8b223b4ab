using System;
using System.Net;
using System.Runtime.CompilerServices;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// The 4-tuple of a TCP connection in 37 bytes of value type: endpoint A (the client) and endpoint B (the
/// server). Equal in both directions through <see cref="Matches"/>, and its hash is symmetric, so one
/// table entry serves both directions. Copied only when a flow is inserted.
/// </summary>
public readonly struct FlowKey
{
    private readonly ulong _aHigh;
    private readonly ulong _aLow;
    private readonly ulong _bHigh;
    private readonly ulong _bLow;
    private readonly ushort _aPort;
    private readonly ushort _bPort;
    private readonly byte _version;

    private FlowKey(ulong aHigh, ulong aLow, ushort aPort, ulong bHigh, ulong bLow, ushort bPort, byte version)
    {
        _aHigh = aHigh;
        _aLow = aLow;
        _aPort = aPort;
        _bHigh = bHigh;
        _bLow = bLow;
        _bPort = bPort;
        _version = version;
    }

    /// <summary>The key of a segment with its source as A.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static FlowKey FromSource(in DecodedTcp tcp) =>
        new(tcp.SourceAddress.High, tcp.SourceAddress.Low, tcp.SourcePort, tcp.DestinationAddress.High, tcp.DestinationAddress.Low, tcp.DestinationPort, (byte)tcp.IPVersion);

    /// <summary>The same connection seen from the other end: B becomes A.</summary>
    public FlowKey Reversed => new(_bHigh, _bLow, _bPort, _aHigh, _aLow, _aPort, _version);

    public int IPVersion => _version;

    public ushort PortA => _aPort;

    public ushort PortB => _bPort;

    public IPAddressValue AddressA => IPAddressValue.FromParts(_aHigh, _aLow, _version);

    public IPAddressValue AddressB => IPAddressValue.FromParts(_bHigh, _bLow, _version);

    public IPEndPoint EndPointA => new(AddressA.ToIPAddress(), _aPort);

    public IPEndPoint EndPointB => new(AddressB.ToIPAddress(), _bPort);

    /// <summary>The same value for a segment in either direction: the two endpoint hashes are combined symmetrically.</summary>
    public static int Hash(in DecodedTcp tcp) =>
        Symmetric(Endpoint(tcp.SourceAddress.High, tcp.SourceAddress.Low, tcp.SourcePort), Endpoint(tcp.DestinationAddress.High, tcp.DestinationAddress.Low, tcp.DestinationPort), tcp.IPVersion);

    public int Hash() => Symmetric(Endpoint(_aHigh, _aLow, _aPort), Endpoint(_bHigh, _bLow, _bPort), _version);

    /// <summary>True when the segment belongs to this 4-tuple; <paramref name="fromA"/> tells its direction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(in DecodedTcp tcp, out bool fromA)
    {
        ulong sh = tcp.SourceAddress.High, sl = tcp.SourceAddress.Low, dh = tcp.DestinationAddress.High, dl = tcp.DestinationAddress.Low;
        if (_version != tcp.IPVersion)
        {
            fromA = false;
            return false;
        }
        if (sl == _aLow && tcp.SourcePort == _aPort && dl == _bLow && tcp.DestinationPort == _bPort && sh == _aHigh && dh == _bHigh)
        {
            fromA = true;
            return true;
        }
        fromA = false;
        return sl == _bLow && tcp.SourcePort == _bPort && dl == _aLow && tcp.DestinationPort == _aPort && sh == _bHigh && dh == _aHigh;
    }

    public override string ToString() => $"{EndPointA} <-> {EndPointB}";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Endpoint(ulong high, ulong low, ushort port)
    {
        // A 64-bit mix (the finaliser of SplitMix64) so that nearby addresses and ports spread over the table.
        ulong x = unchecked(high * 0x9E3779B97F4A7C15UL ^ low ^ ((ulong)port << 48 | port));
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        return x ^ (x >> 31);
    }

    private static int Symmetric(ulong a, ulong b, int version)
    {
        // Addition and xor are symmetric; their mix keeps (a, b) and (b, a) equal without ordering them.
        ulong h = unchecked((a + b) ^ ((a ^ b) * 0x9E3779B97F4A7C15UL) ^ (ulong)version);
        return (int)(h ^ (h >> 32));
    }
}
