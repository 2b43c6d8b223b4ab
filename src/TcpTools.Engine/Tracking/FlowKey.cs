using System;
using System.Net;
using System.Runtime.CompilerServices;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// The 4-tuple of a TCP connection in 40 bytes of value type: endpoint A (the client) and endpoint B (the
/// server), the IP version and the tunnel chain it was carried in (<see cref="DecodedTcp.TunnelKey"/>, 0 for none:
/// the same 4-tuple in two tunnels is two connections, as Zeek keeps them). Equal in both directions through
/// <see cref="Matches"/>, and its hash is symmetric, so one table entry serves both directions. Copied only when a
/// flow is inserted.
/// </summary>
public readonly struct FlowKey
{
    private readonly ulong _aHigh;
    private readonly ulong _aLow;
    private readonly ulong _bHigh;
    private readonly ulong _bLow;
    private readonly ushort _aPort;
    private readonly ushort _bPort;
    private readonly uint _context; // the IP version in the low byte, the tunnel key above it

    private FlowKey(ulong aHigh, ulong aLow, ushort aPort, ulong bHigh, ulong bLow, ushort bPort, uint context)
    {
        _aHigh = aHigh;
        _aLow = aLow;
        _aPort = aPort;
        _bHigh = bHigh;
        _bLow = bLow;
        _bPort = bPort;
        _context = context;
    }

    /// <summary>The key of a segment with its source as A.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static FlowKey FromSource(in DecodedTcp tcp) =>
        new(tcp.SourceAddress.High, tcp.SourceAddress.Low, tcp.SourcePort, tcp.DestinationAddress.High, tcp.DestinationAddress.Low, tcp.DestinationPort, Context(tcp));

    /// <summary>The same connection seen from the other end: B becomes A.</summary>
    public FlowKey Reversed => new(_bHigh, _bLow, _bPort, _aHigh, _aLow, _aPort, _context);

    public int IPVersion => (int)(_context & 0xFF);

    /// <summary>The tunnel chain's identity (<see cref="DecodedTcp.TunnelKey"/>), 0 for a flow not in a tunnel.</summary>
    public uint TunnelKey => _context >> 8;

    public ushort PortA => _aPort;

    public ushort PortB => _bPort;

    public IPAddressValue AddressA => IPAddressValue.FromParts(_aHigh, _aLow, IPVersion);

    public IPAddressValue AddressB => IPAddressValue.FromParts(_bHigh, _bLow, IPVersion);

    public IPEndPoint EndPointA => new(AddressA.ToIPAddress(), _aPort);

    public IPEndPoint EndPointB => new(AddressB.ToIPAddress(), _bPort);

    /// <summary>The same value for a segment in either direction: the two endpoint hashes are combined symmetrically.</summary>
    public static int Hash(in DecodedTcp tcp) =>
        Symmetric(Endpoint(tcp.SourceAddress.High, tcp.SourceAddress.Low, tcp.SourcePort), Endpoint(tcp.DestinationAddress.High, tcp.DestinationAddress.Low, tcp.DestinationPort), Context(tcp));

    public int Hash() => Symmetric(Endpoint(_aHigh, _aLow, _aPort), Endpoint(_bHigh, _bLow, _bPort), _context);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Context(in DecodedTcp tcp) => tcp.TunnelKey << 8 | (uint)tcp.IPVersion;

    /// <summary>True when the segment belongs to this 4-tuple; <paramref name="fromA"/> tells its direction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(in DecodedTcp tcp, out bool fromA)
    {
        ulong sh = tcp.SourceAddress.High, sl = tcp.SourceAddress.Low, dh = tcp.DestinationAddress.High, dl = tcp.DestinationAddress.Low;
        if (_context != Context(tcp))
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

    private static int Symmetric(ulong a, ulong b, uint context)
    {
        // Addition and xor are symmetric; their mix keeps (a, b) and (b, a) equal without ordering them. The
        // context's tunnel key lands in bits 8 to 31: the same 4-tuple in two tunnels probes apart.
        ulong h = unchecked((a + b) ^ ((a ^ b) * 0x9E3779B97F4A7C15UL) ^ context);
        return (int)(h ^ (h >> 32));
    }
}
