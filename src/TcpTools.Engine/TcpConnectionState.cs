using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Security.Cryptography;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Sockets;
using TcpTools.Engine.Tracking;

namespace TcpTools;

/// <summary>
/// One TCP connection as the wire showed it: each endpoint's RFC 9293 state, the connection's, Zeek's
/// conn_state and history, timing, volume and the anomalies Wireshark's analysis names. A snapshot: it does not
/// change after it is emitted.
/// </summary>
/// <remarks>
/// Its public properties are data that ConvertTo-Json, Export-Csv and remoting carry as they read: addresses and
/// endpoints as text, times as UTC DateTime (exact to the nanosecond in the *UnixNanoseconds properties), durations
/// as exact decimal seconds (0.000311, not 3.11E-04), states as enums.
/// </remarks>
public sealed class TcpConnectionState
{
    private static readonly DateTime s_unixEpoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly long _twoMslNs;
    private readonly IPAddressValue _client;
    private readonly IPAddressValue _server;
    private string? _communityId;
    // Null for a connection without anomalies (most): one reference is all they cost.
    private readonly AnomalyData? _anomalies;
    // Null unless a live capture found this host's processes behind the connection.
    private readonly FlowOwners? _owners;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private TcpConnectionState(in FlowRecord flow, AddressTextCache addressText, string history, ZeekConnState connState, TcpCloseReason closeReason, TimeSpan msl, in AnomalyRecord anomalies, TcpTunnelList tunnels, FlowOwners? owners)
    {
        _owners = owners;
        Tunnels = tunnels;
        FlowKey key = flow.Key;
        IPVersion = key.IPVersion;
        _client = key.AddressA;
        _server = key.AddressB;
        ClientAddress = addressText.Get(key.AddressA);
        ServerAddress = addressText.Get(key.AddressB);
        ClientPort = key.PortA;
        ServerPort = key.PortB;
        ClientState = flow.Client.State;
        ServerState = flow.Server.State;
        State = RfcState.Connection(ClientState, ServerState);
        IsMidstream = (flow.Flags & FlowFlags.Midstream) != 0;
        FirstSeenUnixNanoseconds = flow.FirstNs;
        LastSeenUnixNanoseconds = flow.LastNs;
        HandshakeRtt = flow.RttUsPlusOne == 0 ? null : (flow.RttUsPlusOne - 1) / 1_000_000m;
        ClientPackets = flow.Client.Packets;
        ServerPackets = flow.Server.Packets;
        var client = flow.Client;
        var server = flow.Server;
        ClientBytes = ZeekModel.Size(ref client, ref server);
        ServerBytes = ZeekModel.Size(ref server, ref client);
        ClientRetransmissions = flow.Client.Analysis.Retransmissions;
        ServerRetransmissions = flow.Server.Analysis.Retransmissions;
        ClientOutOfOrder = flow.Client.Analysis.OutOfOrder;
        ServerOutOfOrder = flow.Server.Analysis.OutOfOrder;
        ClientDuplicateAcks = flow.Client.Analysis.DuplicateAcks;
        ServerDuplicateAcks = flow.Server.Analysis.DuplicateAcks;
        ClientZeroWindows = flow.Client.Analysis.ZeroWindows;
        ServerZeroWindows = flow.Server.Analysis.ZeroWindows;
        ClientMss = flow.Client.Handshake.Mss == 0 ? null : flow.Client.Handshake.Mss;
        ServerMss = flow.Server.Handshake.Mss == 0 ? null : flow.Server.Handshake.Mss;
        ClientWindowScale = flow.Client.Handshake.WindowScale < 0 ? null : flow.Client.Handshake.WindowScale;
        ServerWindowScale = flow.Server.Handshake.WindowScale < 0 ? null : flow.Server.Handshake.WindowScale;
        ClientNextSequence = flow.Client.Analysis.NextSeq;
        ServerNextSequence = flow.Server.Analysis.NextSeq;
        ClientAcknowledgment = flow.Client.Analysis.LastAck;
        ServerAcknowledgment = flow.Server.Analysis.LastAck;
        ClientWindow = flow.Client.Analysis.Window;
        ServerWindow = flow.Server.Analysis.Window;
        CloseReason = closeReason;
        ConnState = connState;
        History = history;
        if ((anomalies.Client | anomalies.Server) != 0)
        {
            _anomalies = new AnomalyData(anomalies);
        }
        Msl = msl.Ticks / 10_000_000m;
        _twoMslNs = 2 * msl.Ticks * 100;
        Id = ComputeId(key, flow.FirstNs);
    }

    internal static TcpConnectionState Create(FlowTable table, int slot, AddressTextCache addressText, TcpCloseReason closeReason, TimeSpan msl, FlowOwners? owners = null)
    {
        ref FlowRecord flow = ref table[slot];
        string history = ZeekModel.History(table, slot);
        return new TcpConnectionState(flow, addressText, history, ZeekModel.ConnState(ref flow, history), closeReason, msl, table.Anomalies(slot), table.Tunnels(slot), owners);
    }

    /// <summary>
    /// The anomalies of a connection that has any: the kinds per side, and the count of each kind shown in bit order
    /// (a few bytes, where the flow's record holds a slot for every kind); the by-name dictionary once it is read.
    /// </summary>
    private sealed class AnomalyData
    {
        private readonly uint[] _counts;
        private TcpAnomalyCounts? _byName;

        public AnomalyData(in AnomalyRecord record)
        {
            Client = record.Client;
            Server = record.Server;
            uint bits = (uint)(Client | Server);
            _counts = new uint[System.Numerics.BitOperations.PopCount(bits)];
            for (int i = 0; bits != 0; bits &= bits - 1, i++)
            {
                _counts[i] = record.Counts[System.Numerics.BitOperations.TrailingZeroCount(bits)];
            }
        }

        public TcpAnomaly Client { get; }

        public TcpAnomaly Server { get; }

        public TcpAnomalyCounts ByName => _byName ??= TcpAnomalyCounts.Of(Client | Server, _counts);
    }

    /// <summary>
    /// The IP tunnels the connection was carried in, outermost first, as its first segment came (so a tunnel's
    /// source is that segment's sender's end); empty when it was not in a tunnel. The same 4-tuple in two tunnels is
    /// two connections.
    /// </summary>
    public TcpTunnelList Tunnels { get; }

    /// <summary>A stable id: the same connection in the same capture always gets the same one (4-tuple and first time).</summary>
    public string Id { get; }

    /// <summary>The Community ID v1 of the 4-tuple (seed 0), as Zeek, Suricata and Wireshark compute it.</summary>
    public string CommunityId => _communityId ??= ComputeCommunityId();

    public int IPVersion { get; }

    /// <summary>The initiator's address as text: the side that sent the first SYN (or, picked up mid-stream, the side not on a server port).</summary>
    public string ClientAddress { get; }

    public ushort ClientPort { get; }

    /// <summary>The responder's address as text.</summary>
    public string ServerAddress { get; }

    public ushort ServerPort { get; }

    /// <summary>The client endpoint: 198.18.0.1:40000, or [fd00:198:18::1]:40000 for IPv6.</summary>
    public string Client => EndPointText.Format(ClientAddress, ClientPort, IPVersion);

    /// <summary>The server endpoint, written as <see cref="Client"/>.</summary>
    public string Server => EndPointText.Format(ServerAddress, ServerPort, IPVersion);

    /// <summary>The client endpoint as an <see cref="System.Net.IPEndPoint"/>, for code that sends to it.</summary>
    internal System.Net.IPEndPoint ClientEndPoint => new(_client.ToIPAddress(), ClientPort);

    internal IPAddressValue ClientValue => _client;

    internal IPAddressValue ServerValue => _server;

    /// <summary>The server endpoint as an <see cref="System.Net.IPEndPoint"/>.</summary>
    internal System.Net.IPEndPoint ServerEndPoint => new(_server.ToIPAddress(), ServerPort);

    /// <summary>The connection in one word: the state of the endpoint further through the close (TimeWait if either is in TIME_WAIT).</summary>
    public TcpState State { get; }

    public TcpState ClientState { get; }

    public TcpState ServerState { get; }

    /// <summary>True when the capture began after the handshake: states are inferred from the traffic.</summary>
    public bool IsMidstream { get; }

    public DateTime FirstSeen => s_unixEpoch.AddTicks(FirstSeenUnixNanoseconds / 100);

    public DateTime LastSeen => s_unixEpoch.AddTicks(LastSeenUnixNanoseconds / 100);

    public long FirstSeenUnixNanoseconds { get; }

    public long LastSeenUnixNanoseconds { get; }

    /// <summary>Seconds from the first segment to the last (Zeek's duration), exact to the nanosecond.</summary>
    public decimal Duration => (LastSeenUnixNanoseconds - FirstSeenUnixNanoseconds) / 1_000_000_000m;

    /// <summary>Seconds from the client's SYN to its ACK of the SYN-ACK (Wireshark's iRTT, to the microsecond), when the handshake was seen.</summary>
    public decimal? HandshakeRtt { get; }

    /// <summary>When TIME_WAIT ends (last segment + 2 × MSL), while an endpoint is in it.</summary>
    public DateTime? TimeWaitEnds => TimeWaitEndsUnixNanoseconds is long ns ? s_unixEpoch.AddTicks(ns / 100) : null;

    /// <summary>TimeWaitEnds in nanoseconds since 1970.</summary>
    internal long? TimeWaitEndsUnixNanoseconds => State == TcpState.TimeWait ? LastSeenUnixNanoseconds + _twoMslNs : null;

    /// <summary>The maximum segment lifetime the tracker used, in seconds.</summary>
    public decimal Msl { get; }

    public uint ClientPackets { get; }

    public uint ServerPackets { get; }

    public long Packets => (long)ClientPackets + ServerPackets;

    /// <summary>Payload bytes the client sent: its sequence space less SYN and FIN (Zeek's orig_bytes; retransmissions count once).</summary>
    public ulong ClientBytes { get; }

    public ulong ServerBytes { get; }

    public ulong Bytes => ClientBytes + ServerBytes;

    /// <summary>Client segments Wireshark marks tcp.analysis.retransmission (fast and spurious ones included).</summary>
    public uint ClientRetransmissions { get; }

    public uint ServerRetransmissions { get; }

    public long Retransmissions => (long)ClientRetransmissions + ServerRetransmissions;

    /// <summary>Client segments Wireshark marks tcp.analysis.out_of_order.</summary>
    public uint ClientOutOfOrder { get; }

    public uint ServerOutOfOrder { get; }

    public long OutOfOrder => (long)ClientOutOfOrder + ServerOutOfOrder;

    /// <summary>Duplicate ACKs the client sent (tcp.analysis.duplicate_ack).</summary>
    public uint ClientDuplicateAcks { get; }

    public uint ServerDuplicateAcks { get; }

    public long DuplicateAcks => (long)ClientDuplicateAcks + ServerDuplicateAcks;

    /// <summary>Segments in which the client advertised a zero window (tcp.analysis.zero_window).</summary>
    public uint ClientZeroWindows { get; }

    public uint ServerZeroWindows { get; }

    public long ZeroWindows => (long)ClientZeroWindows + ServerZeroWindows;

    public ushort? ClientMss { get; }

    public ushort? ServerMss { get; }

    public int? ClientWindowScale { get; }

    public int? ServerWindowScale { get; }

    /// <summary>The sequence number the client sends next, as last seen (for Send-TcpReset).</summary>
    public uint ClientNextSequence { get; }

    public uint ServerNextSequence { get; }

    /// <summary>The acknowledgment number of the client's last segment.</summary>
    public uint ClientAcknowledgment { get; }

    public uint ServerAcknowledgment { get; }

    /// <summary>The raw window field of the client's last segment.</summary>
    public ushort ClientWindow { get; }

    public ushort ServerWindow { get; }

    public TcpCloseReason CloseReason { get; }

    /// <summary>Zeek's conn_state for the connection.</summary>
    public ZeekConnState ConnState { get; }

    /// <summary>Zeek's history: upper case from the originator, lower case from the responder (S H A D F R C G T W I Q ^).</summary>
    public string History { get; }

    /// <summary>Every kind of anomaly the connection's segments showed (<c>Where-Object Anomalies -match 'DataAfterReset'</c>); None for most.</summary>
    public TcpAnomaly Anomalies => ClientAnomalies | ServerAnomalies;

    /// <summary>The kinds of anomaly the client's segments showed.</summary>
    public TcpAnomaly ClientAnomalies => _anomalies?.Client ?? TcpAnomaly.None;

    /// <summary>The kinds of anomaly the server's segments showed.</summary>
    public TcpAnomaly ServerAnomalies => _anomalies?.Server ?? TcpAnomaly.None;

    /// <summary>How many segments showed each kind, by name (<c>$flow.AnomalyCounts.RstOutsideWindow</c>); empty when there were none.</summary>
    public TcpAnomalyCounts AnomalyCounts => _anomalies?.ByName ?? TcpAnomalyCounts.None;

    /// <summary>Live capture: the PID of this host's process that holds the client's socket (null when the client is another host's, or was not found).</summary>
    public int? ClientOwningProcess => _owners?.ClientPid;

    /// <summary>Live capture: the name of the process behind <see cref="ClientOwningProcess"/>.</summary>
    public string? ClientProcessName => _owners?.ClientName;

    /// <summary>Live capture: the PID of this host's process that holds the server's socket (for a connection not yet accepted, the listener's).</summary>
    public int? ServerOwningProcess => _owners?.ServerPid;

    /// <summary>Live capture: the name of the process behind <see cref="ServerOwningProcess"/>.</summary>
    public string? ServerProcessName => _owners?.ServerName;

    /// <summary>This host's process in the connection, as Get-TcpConnection names it: the client's, else the server's.</summary>
    public int? OwningProcess => _owners?.ClientPid ?? _owners?.ServerPid;

    /// <summary>The name of <see cref="OwningProcess"/>.</summary>
    public string? ProcessName => _owners is null ? null : _owners.ClientPid is not null ? _owners.ClientName : _owners.ServerName;

    public override string ToString() => $"{Client} > {Server} {State} {History}";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static string ComputeId(FlowKey key, long firstNs)
    {
        // FNV-1a over the 4-tuple and the first time: stable across runs and machines.
        Span<byte> buffer = stackalloc byte[16 + 16 + 2 + 2 + 8];
        key.AddressA.WriteBytes(buffer);
        key.AddressB.WriteBytes(buffer[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[32..], key.PortA);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[34..], key.PortB);
        BinaryPrimitives.WriteInt64BigEndian(buffer[36..], firstNs);
        ulong hash = 14695981039346656037UL;
        foreach (byte b in buffer)
        {
            hash = unchecked((hash ^ b) * 1099511628211UL);
        }
        return string.Create(17, hash, static (chars, h) =>
        {
            chars[0] = 'T';
            h.TryFormat(chars[1..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
        });
    }

    private string ComputeCommunityId()
    {
        // https://github.com/corelight/community-id-spec: SHA-1 over seed, the smaller endpoint first, protocol, pad, ports.
        byte[] a = new byte[IPVersion == 6 ? 16 : 4], b = new byte[a.Length];
        _client.WriteBytes(a);
        _server.WriteBytes(b);
        ushort pa = ClientPort, pb = ServerPort;
        int cmp = a.AsSpan().SequenceCompareTo(b);
        if (cmp > 0 || (cmp == 0 && pa > pb))
        {
            (a, b) = (b, a);
            (pa, pb) = (pb, pa);
        }
        var data = new byte[2 + a.Length + b.Length + 2 + 4];
        int i = 2; // seed 0
        a.CopyTo(data, i);
        i += a.Length;
        b.CopyTo(data, i);
        i += b.Length;
        data[i++] = 6; // TCP
        data[i++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i), pa);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i + 2), pb);
#pragma warning disable CA5350 // SHA-1 is what the Community ID spec hashes with; it is an identifier, not security
        return "1:" + Convert.ToBase64String(SHA1.HashData(data));
#pragma warning restore CA5350
    }
}
