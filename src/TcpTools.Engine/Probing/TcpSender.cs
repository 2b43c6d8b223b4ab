using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Probing;

/// <summary>
/// Sends crafted or captured TCP segments the way the OS would route them (pcap on Ethernet, raw sockets on
/// loopback) and, if asked, waits for the segment that answers one: the reverse 4-tuple.
/// </summary>
public sealed class TcpSender : IDisposable
{
    private readonly ProbePaths _paths;
    private readonly byte[] _buffer = new byte[14 + 65535];

    public TcpSender(string? interfaceName = null)
    {
        _paths = new ProbePaths(interfaceName, "tcp or arp or icmp6");
    }

    /// <summary>The source address the kernel would use to reach <paramref name="destination"/> (nothing is sent).</summary>
    public static IPAddress SourceFor(IPAddress destination) => RouteResolver.Resolve(destination).Source;

    /// <summary>Builds a segment as a TcpSegment object (link type Raw: the frame is the IP packet), timestamped now.</summary>
    public static TcpSegment Build(TcpSegmentSpec spec)
    {
        var packet = new byte[PacketBuilder.IPPacketLength(spec)];
        PacketBuilder.WriteIPPacket(spec, packet);
        if (PacketDecoder.TryDecode(LinkType.Raw, packet, out DecodedTcp tcp) != DecodeStatus.Tcp)
        {
            throw new InvalidOperationException("The crafted packet did not decode as TCP.");
        }
        long now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        return TcpSegment.Create(new CapturedFrame(0, now, LinkType.Raw, packet.Length, packet.Length, 0), packet, tcp, null, null);
    }

    /// <summary>
    /// Sends <paramref name="segment"/>'s IP packet to its destination. With <paramref name="wait"/>, returns the first
    /// segment from the destination's address and port to the source's within the time (or null).
    /// </summary>
    public TcpSegment? Send(TcpSegment segment, TimeSpan wait, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(segment);
        ref readonly DecodedTcp d = ref segment.Decoded;
        var frame = segment.Frame.Span;
        int ipLength = Math.Min(d.IPLength > 0 ? d.IPLength : frame.Length - d.IPOffset, frame.Length - d.IPOffset);
        IPAddress destination = segment.DestinationIPAddress;
        var (channel, mac, _) = _paths.Resolved(destination);
        // Drain what the capture already holds, so an old segment is not taken for the answer.
        while (channel.Capture.TryReadNextFrame(out _, out _, 0))
        {
        }
        frame.Slice(d.IPOffset, ipLength).CopyTo(_buffer.AsSpan(14));
        channel.SendIPPacket(_buffer, ipLength, segment.SourceIPAddress, destination, mac);
        if (wait <= TimeSpan.Zero)
        {
            return null;
        }
        IPAddressValue from = d.DestinationAddress, to = d.SourceAddress;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < wait && !cancel.IsCancellationRequested)
        {
            int left = (int)Math.Max(1, Math.Min(100, (wait - clock.Elapsed).TotalMilliseconds));
            if (!channel.Capture.TryReadNextFrame(out CapturedFrame meta, out ReadOnlySpan<byte> data, left))
            {
                continue;
            }
            if (PacketDecoder.TryDecode(meta.LinkType, data, meta.OriginalLength, out DecodedTcp answer) == DecodeStatus.Tcp
                && answer.SourceAddress.Equals(from) && answer.DestinationAddress.Equals(to)
                && answer.SourcePort == segment.DestinationPort && answer.DestinationPort == segment.SourcePort)
            {
                return TcpSegment.Create(meta, data, answer, null, channel.Name);
            }
        }
        return null;
    }

    public void Dispose() => _paths.Dispose();
}
