using System;
using System.Collections.Generic;
using System.Linq;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>
/// A scripted exchange between a client (198.18.0.1:40000 or fd00:198:18::1) and a server (198.18.0.2:80 or
/// fd00:198:18::2) fed to a <see cref="TcpTracker"/>: real frames are built and decoded, one millisecond apart
/// unless a time is given. Sequence numbers are absolute.
/// </summary>
internal sealed class Conversation
{
    public const TcpFlags S = TcpFlags.Syn;
    public const TcpFlags SA = TcpFlags.Syn | TcpFlags.Ack;
    public const TcpFlags A = TcpFlags.Ack;
    public const TcpFlags PA = TcpFlags.Psh | TcpFlags.Ack;
    public const TcpFlags FA = TcpFlags.Fin | TcpFlags.Ack;
    public const TcpFlags R = TcpFlags.Rst;
    public const TcpFlags RA = TcpFlags.Rst | TcpFlags.Ack;

    private readonly bool _v6;
    private readonly ushort _clientPort;
    private readonly ushort _serverPort;

    private readonly string _clientAddress;
    private readonly string _serverAddress;

    public Conversation(TcpTrackerOptions? options = null, bool ipv6 = false, ushort clientPort = 40000, ushort serverPort = 80, TcpTracker? tracker = null,
        string? clientAddress = null, string? serverAddress = null)
    {
        Tracker = tracker ?? new TcpTracker(options);
        _v6 = ipv6;
        _clientAddress = clientAddress ?? (ipv6 ? "fd00:198:18::1" : "198.18.0.1");
        _serverAddress = serverAddress ?? (ipv6 ? "fd00:198:18::2" : "198.18.0.2");
        _clientPort = clientPort;
        _serverPort = serverPort;
    }

    public TcpTracker Tracker { get; }

    /// <summary>Capture time of the next segment (ns); advances 1 ms per segment.</summary>
    public long Now { get; set; } = 1_700_000_000_000_000_000;

    /// <summary>Changes the next frame's bytes after it is built (to break a checksum, say), then clears itself.</summary>
    public Action<byte[]>? MangleNext { get; set; }

    /// <summary>Snapshots the tracker emitted so far.</summary>
    public List<TcpConnectionState> Emitted { get; } = new();

    /// <summary>A segment from the client.</summary>
    public Conversation C(TcpFlags flags, uint seq, uint ack = 0, int len = 0, ushort window = 64240, byte[]? options = null) => Send(true, flags, seq, ack, len, window, options);

    /// <summary>A segment from the server.</summary>
    public Conversation Sv(TcpFlags flags, uint seq, uint ack = 0, int len = 0, ushort window = 65160, byte[]? options = null) => Send(false, flags, seq, ack, len, window, options);

    /// <summary>Moves the capture clock without a segment of this flow.</summary>
    public Conversation Wait(TimeSpan t)
    {
        Now += t.Ticks * 100;
        return this;
    }

    /// <summary>The standard handshake: client ISN <paramref name="c"/>, server ISN <paramref name="s"/>.</summary>
    public Conversation Handshake(uint c = 1000, uint s = 5000) => C(S, c).Sv(SA, s, c + 1).C(A, c + 1, s + 1);

    /// <summary>The flow as it stands now (the only one held, unless another 4-tuple was used).</summary>
    public TcpConnectionState Current => Tracker.Current().Single();

    /// <summary>Ends the input and returns everything emitted, in order.</summary>
    public List<TcpConnectionState> Complete()
    {
        Tracker.Complete();
        Drain();
        return Emitted;
    }

    private Conversation Send(bool fromClient, TcpFlags flags, uint seq, uint ack, int len, ushort window, byte[]? options)
    {
        ushort sport = fromClient ? _clientPort : _serverPort, dport = fromClient ? _serverPort : _clientPort;
        byte[] tcp = Bytes.Tcp(sport, dport, seq, ack, flags, window, options, new byte[len]);
        byte[] ip = _v6
            ? Bytes.IPv6(Address(fromClient, true), Address(!fromClient, true), 6, tcp)
            : Bytes.IPv4(Address(fromClient, false), Address(!fromClient, false), 6, tcp);
        byte[] frame = Bytes.Ethernet(_v6 ? (ushort)0x86DD : (ushort)0x0800, ip);
        MangleNext?.Invoke(frame);
        MangleNext = null;
        Assert.Equal(DecodeStatus.Tcp, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out DecodedTcp decoded));
        Tracker.Process(Now, decoded, frame);
        Now += 1_000_000;
        Drain();
        return this;
    }

    private void Drain()
    {
        while (Tracker.Output.Count > 0)
        {
            Emitted.Add(Tracker.Output.Dequeue());
        }
    }

    private byte[] Address(bool client, bool v6) => System.Net.IPAddress.Parse(client ? _clientAddress : _serverAddress).GetAddressBytes();
}
