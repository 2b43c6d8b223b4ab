using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TcpTools.Engine.Decoding;

/// <summary>RFC 1071 ones'-complement sums, and the TCP checksum check built on them.</summary>
public static class InternetChecksum
{
    /// <summary>
    /// Judges a decoded segment's checksum. Unverified when the capture does not hold the whole segment.
    /// </summary>
    public static TcpChecksumStatus VerifyTcp(ReadOnlySpan<byte> frame, in DecodedTcp tcp)
    {
        int segmentLength = tcp.TcpHeaderLength + tcp.PayloadLength;
        if (frame.Length < tcp.TcpOffset + segmentLength)
        {
            return TcpChecksumStatus.Unverified;
        }
        Span<byte> pseudo = stackalloc byte[40];
        int n;
        if (tcp.IPVersion == 4)
        {
            tcp.SourceAddress.WriteBytes(pseudo);
            tcp.DestinationAddress.WriteBytes(pseudo[4..]);
            if (frame.Length > tcp.IPOffset && (frame[tcp.IPOffset] & 0x0F) > 5)
            {
                FinalIPv4Destination(frame, tcp.IPOffset, pseudo[4..8]);
            }
            pseudo[8] = 0;
            pseudo[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)segmentLength);
            n = 12;
        }
        else
        {
            tcp.SourceAddress.WriteBytes(pseudo);
            tcp.DestinationAddress.WriteBytes(pseudo[16..]);
            if (tcp.TcpOffset > tcp.IPOffset + 40)
            {
                IPv6PseudoAddresses(frame, tcp.IPOffset, tcp.TcpOffset, pseudo[..16], pseudo[16..32]);
            }
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)segmentLength);
            pseudo[36] = pseudo[37] = pseudo[38] = 0;
            pseudo[39] = 6;
            n = 40;
        }
        ulong sum = Add(pseudo[..n], 0);
        sum = Add(frame.Slice(tcp.TcpOffset, segmentLength), sum);
        return Fold(sum) == 0xFFFF ? TcpChecksumStatus.Good : TcpChecksumStatus.Bad;
    }

    /// <summary>
    /// An IPv4 loose or strict source route (options 131 and 137) names the packet's final destination last; the TCP
    /// pseudo-header holds that one (RFC 1122 4.2.3.1, as the receiver computes it), not the next hop in the header.
    /// </summary>
    private static void FinalIPv4Destination(ReadOnlySpan<byte> frame, int ipOffset, Span<byte> destination)
    {
        int end = Math.Min(ipOffset + (frame[ipOffset] & 0x0F) * 4, frame.Length);
        int at = ipOffset + 20;
        while (at < end)
        {
            byte kind = frame[at];
            if (kind == 0)
            {
                return; // end of options
            }
            if (kind == 1)
            {
                at++; // no-operation
                continue;
            }
            if (at + 1 >= end || frame[at + 1] < 2 || at + frame[at + 1] > end)
            {
                return; // a broken option list: the header's destination stands
            }
            int length = frame[at + 1];
            if ((kind == 131 || kind == 137) && length >= 7)
            {
                frame.Slice(at + length - 4, 4).CopyTo(destination);
                return;
            }
            at += length;
        }
    }

    /// <summary>
    /// IPv6 extension headers that change the TCP pseudo-header's addresses: a routing header with segments left
    /// names the final destination (RFC 8200 8.1; the last address of types 0 and 2, the first of the segment list
    /// of type 4, RFC 8754), and a Home Address destination option (RFC 6275 6.3) the source.
    /// </summary>
    private static void IPv6PseudoAddresses(ReadOnlySpan<byte> frame, int ipOffset, int tcpOffset, Span<byte> source, Span<byte> destination)
    {
        byte next = frame[ipOffset + 6];
        int at = ipOffset + 40;
        while (at + 2 <= tcpOffset && next != PacketDecoder.ProtocolTcp)
        {
            int length = PacketDecoder.ExtensionHeaderLength(next, frame[at..]);
            if (at + length > tcpOffset)
            {
                return;
            }
            var header = frame.Slice(at, length);
            if (next == PacketDecoder.IPv6Routing && length >= 8 && header[3] > 0)
            {
                int type = header[2];
                if ((type == 0 || type == 2) && length >= 24)
                {
                    header.Slice(8 + (length - 8) / 16 * 16 - 16, 16).CopyTo(destination);
                }
                else if (type == 4 && length >= 24)
                {
                    header.Slice(8, 16).CopyTo(destination); // Segment List[0]: the last segment
                }
            }
            else if (next == PacketDecoder.IPv6DestinationOptions)
            {
                int option = at + 2, end = at + length;
                while (option < end)
                {
                    if (frame[option] == 0)
                    {
                        option++; // Pad1
                        continue;
                    }
                    if (option + 2 > end || option + 2 + frame[option + 1] > end)
                    {
                        break;
                    }
                    if (frame[option] == 201 && frame[option + 1] == 16)
                    {
                        frame.Slice(option + 2, 16).CopyTo(source);
                    }
                    option += 2 + frame[option + 1];
                }
            }
            next = header[0];
            at += length;
        }
    }

    /// <summary>
    /// Judges an IPv4 header's checksum (RFC 791): the ones'-complement sum of the header, checksum included, is all
    /// ones. Unverified for IPv6 (it has none) and when the capture does not hold the whole header.
    /// </summary>
    public static TcpChecksumStatus VerifyIPv4Header(ReadOnlySpan<byte> frame, in DecodedTcp tcp)
    {
        if (tcp.IPVersion != 4 || tcp.IPOffset >= frame.Length)
        {
            return TcpChecksumStatus.Unverified;
        }
        int headerLength = (frame[tcp.IPOffset] & 0x0F) * 4;
        if (headerLength < 20 || tcp.IPOffset + headerLength > frame.Length)
        {
            return TcpChecksumStatus.Unverified;
        }
        return Fold(Add(frame.Slice(tcp.IPOffset, headerLength), 0)) == 0xFFFF ? TcpChecksumStatus.Good : TcpChecksumStatus.Bad;
    }

    /// <summary>
    /// Adds <paramref name="data"/> to a running sum in native-order 32-bit words. Ones'-complement addition is
    /// independent of byte order (RFC 1071 §2(B)) and every caller starts at an even offset, so the folded
    /// result of an all-ones check is the same either way.
    /// </summary>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum)
    {
        var words = MemoryMarshal.Cast<byte, uint>(data);
        foreach (uint w in words)
        {
            sum += w;
        }
        int rest = data.Length - words.Length * 4;
        if (rest > 0)
        {
            Span<byte> tail = stackalloc byte[4];
            tail.Clear();
            data[^rest..].CopyTo(tail);
            sum += MemoryMarshal.Read<uint>(tail);
        }
        return sum;
    }

    /// <summary>Folds a running sum to 16 bits (not complemented).</summary>
    public static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }
}
