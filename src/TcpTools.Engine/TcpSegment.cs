using System;
using System.Net;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools;

/// <summary>
/// One TCP segment as captured: when and where it was seen, its IP and TCP header fields, options, payload
/// and the captured frame bytes. Addresses and options are decoded from the frame on first use.
/// </summary>
/// <remarks>
/// The public properties are the segment as data: numbers, enums, text and DateTime, so ConvertTo-Json, Export-Csv
/// and remoting carry them as they read (addresses as text, not as IPAddress internals). The frame and payload
/// bytes are methods, and the decoded header is internal, so they stay out of those outputs.
/// </remarks>
public sealed class TcpSegment
{
    private static readonly DateTime s_unixEpoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly byte[] _frame;
    private readonly DecodedTcp _tcp;
    private string? _source;
    private string? _destination;
    private TcpOptions? _options;
    private TcpTunnelList? _tunnels;
    private string? _layers;
    private readonly FrameNumberList _fragmentFrames;

    private TcpSegment(byte[] frame, in CapturedFrame meta, in DecodedTcp tcp, string? captureFile, string? interfaceName, TcpChecksumStatus checksum, long[]? fragmentFrames)
    {
        _frame = frame;
        _fragmentFrames = fragmentFrames is null ? FrameNumberList.Empty : new FrameNumberList(fragmentFrames);
        _tcp = tcp;
        FrameNumber = meta.Number;
        UnixTimeNanoseconds = meta.UnixTimeNanoseconds;
        LinkType = meta.LinkType;
        FrameLength = meta.OriginalLength;
        InterfaceId = meta.InterfaceId;
        CaptureFile = captureFile;
        InterfaceName = interfaceName;
        ChecksumStatus = checksum;
    }

    /// <summary>
    /// Copies a decoded frame out of the capture buffer into a segment; <paramref name="fragmentFrames"/> are the
    /// frames of the IP fragments it was reassembled from, or null.
    /// </summary>
    public static TcpSegment Create(in CapturedFrame meta, ReadOnlySpan<byte> frame, in DecodedTcp tcp, string? captureFile, string? interfaceName,
        long[]? fragmentFrames = null)
    {
        return new TcpSegment(frame.ToArray(), meta, tcp, captureFile, interfaceName, InternetChecksum.VerifyTcp(frame, tcp), fragmentFrames);
    }

    /// <summary>
    /// 1-based number of the frame in its capture (tshark's frame.number); for a segment reassembled from IP
    /// fragments, the frame whose fragment completed it, as tshark shows it.
    /// </summary>
    public long FrameNumber { get; }

    /// <summary>
    /// The frames of the IP fragments the segment was reassembled from, in offset order (tshark's ip.fragment and
    /// ipv6.fragment); empty for a segment that came whole. For a reassembled segment the frame is the datagram as
    /// reassembled: the first fragment's link and IP headers with the whole payload.
    /// </summary>
    public FrameNumberList FragmentFrames => _fragmentFrames;

    /// <summary>True when the segment was reassembled from IP fragments.</summary>
    public bool IsReassembled => _fragmentFrames.Count > 0;

    /// <summary>Capture time, UTC (100 ns resolution; <see cref="UnixTimeNanoseconds"/> keeps full precision).</summary>
    public DateTime Timestamp => s_unixEpoch.AddTicks(UnixTimeNanoseconds / 100);

    /// <summary>Capture time in nanoseconds since 1970-01-01 UTC, exactly as the file holds it.</summary>
    public long UnixTimeNanoseconds { get; }

    /// <summary>The file the segment was read from; null for live capture.</summary>
    public string? CaptureFile { get; }

    /// <summary>pcapng interface id (0 for pcap).</summary>
    public int InterfaceId { get; }

    /// <summary>Interface name when the capture records one (pcapng if_name, or the live device).</summary>
    public string? InterfaceName { get; }

    public LinkType LinkType { get; }

    /// <summary>Frame length on the wire.</summary>
    public int FrameLength { get; }

    /// <summary>Bytes of the frame present in the capture.</summary>
    public int CapturedLength => _frame.Length;

    /// <summary>True when the snap length cut the frame (CapturedLength &lt; FrameLength).</summary>
    public bool IsTruncated => _frame.Length < FrameLength;

    /// <summary>The outermost 802.1Q VLAN id, or null.</summary>
    public int? VlanId => _tcp.VlanId < 0 ? null : _tcp.VlanId;

    /// <summary>4 or 6.</summary>
    public int IPVersion => _tcp.IPVersion;

    /// <summary>The tunnel the segment came out of (Teredo), or None; addresses are the inner packet's.</summary>
    public TunnelType Tunnel => _tcp.Tunnel;

    /// <summary>
    /// The IP tunnels the segment came through, outermost first, each with its outer endpoints and identifier (VNI,
    /// GRE key, TEID); empty for a plain segment. Filter on it in the pipeline:
    /// <c>Where-Object { $_.Tunnels.Type -contains 'Vxlan' }</c>.
    /// </summary>
    public TcpTunnelList Tunnels => _tunnels ??= PacketDecoder.Tunnels(_frame, _tcp);

    /// <summary>
    /// The headers from the link layer to TCP, as tshark names them in frame.protocols (without its "ethertype"
    /// entries): "eth:vlan:ip:tcp", "eth:ip:udp:vxlan:eth:ip:tcp", "eth:vlan:vlan:pppoes:ppp:ip:tcp".
    /// </summary>
    public string Layers => _layers ??= PacketDecoder.LayerText(LinkType, _frame, FrameLength);

    /// <summary>The source IP address as text (198.18.0.1, fd00:198:18::1).</summary>
    public string SourceAddress => _source ??= _tcp.SourceAddress.ToString();

    public ushort SourcePort => _tcp.SourcePort;

    /// <summary>The destination IP address as text.</summary>
    public string DestinationAddress => _destination ??= _tcp.DestinationAddress.ToString();

    public ushort DestinationPort => _tcp.DestinationPort;

    /// <summary>Source address and port: 198.18.0.1:40000, or [fd00:198:18::1]:40000 for IPv6.</summary>
    public string SourceEndPoint => EndPointText.Format(SourceAddress, SourcePort, IPVersion);

    /// <summary>Destination address and port, written as <see cref="SourceEndPoint"/>.</summary>
    public string DestinationEndPoint => EndPointText.Format(DestinationAddress, DestinationPort, IPVersion);

    /// <summary>The source address as an <see cref="IPAddress"/>, for code that sends or routes.</summary>
    internal IPAddress SourceIPAddress => _tcp.SourceAddress.ToIPAddress();

    /// <summary>The destination address as an <see cref="IPAddress"/>.</summary>
    internal IPAddress DestinationIPAddress => _tcp.DestinationAddress.ToIPAddress();

    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte Ttl => _tcp.Ttl;

    public TcpFlags Flags => _tcp.Flags;

    /// <summary>Flags as tcpdump prints them: "S", "S.", ".", "P.", "F.", "R.", "SEW".</summary>
    public string FlagsText => TcpFlagsText.Format(_tcp.Flags);

    /// <summary>Raw (absolute) sequence number.</summary>
    public uint SequenceNumber => _tcp.SequenceNumber;

    /// <summary>Raw (absolute) acknowledgment number; meaningful when Flags has Ack.</summary>
    public uint AcknowledgmentNumber => _tcp.AcknowledgmentNumber;

    /// <summary>The window field as sent (not scaled: the scale is negotiated in the handshake).</summary>
    public ushort Window => _tcp.Window;

    public ushort UrgentPointer => _tcp.UrgentPointer;

    /// <summary>TCP header length in bytes, options included.</summary>
    public int HeaderLength => _tcp.TcpHeaderLength;

    public TcpOptions Options => _options ??= ParseOptions();

    /// <summary>Payload bytes on the wire (from the IP length, so link padding is not counted).</summary>
    public int PayloadLength => _tcp.PayloadLength;

    /// <summary>The captured payload bytes (fewer than PayloadLength when the snap length cut them). A copy.</summary>
    public byte[] GetPayload() => _frame.AsSpan(Math.Min(_tcp.PayloadOffset, _frame.Length), _tcp.CapturedPayloadLength).ToArray();

    /// <summary>Total length of the IP packet (IPv4 total length; IPv6 40 + payload length).</summary>
    public int IPLength => _tcp.IPLength;

    /// <summary>The checksum field as sent.</summary>
    public ushort Checksum => _tcp.Checksum;

    public TcpChecksumStatus ChecksumStatus { get; }

    /// <summary>The captured frame, link header included (for export and further dissection). A copy.</summary>
    public byte[] GetFrame() => (byte[])_frame.Clone();

    /// <summary>The captured frame without copying; callers must not modify it.</summary>
    internal ReadOnlyMemory<byte> Frame => _frame;

    /// <summary>The decoded header values, for engine components (tracker, exporter).</summary>
    internal ref readonly DecodedTcp Decoded => ref _tcp;

    /// <summary>One line in the manner of tcpdump -nn.</summary>
    public override string ToString()
    {
        // tcpdump writes address.port for both families.
        string src = $"{SourceAddress}.{SourcePort}";
        string dst = $"{DestinationAddress}.{DestinationPort}";
        string ack = (Flags & TcpFlags.Ack) != 0 ? $", ack {AcknowledgmentNumber}" : "";
        string options = Options.Kinds.Count > 0 ? $", options [{Options}]" : "";
        return $"{Timestamp:HH:mm:ss.ffffff} IP{(IPVersion == 6 ? "6" : "")} {src} > {dst}: Flags [{FlagsText}], seq {SequenceNumber}{ack}, win {Window}{options}, length {PayloadLength}";
    }

    private TcpOptions ParseOptions()
    {
        int start = _tcp.TcpOffset + 20;
        int end = Math.Min(_tcp.TcpOffset + _tcp.TcpHeaderLength, _frame.Length);
        return end <= start ? (_tcp.OptionsTruncated ? TcpOptions.Parse(default, truncated: true) : TcpOptions.Empty) : TcpOptions.Parse(_frame.AsSpan(start, end - start), _tcp.OptionsTruncated);
    }
}
