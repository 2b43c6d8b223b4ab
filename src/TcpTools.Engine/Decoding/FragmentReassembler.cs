using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TcpTools.Engine.Capture;

namespace TcpTools.Engine.Decoding;

/// <summary>
/// Reassembles IPv4 and IPv6 datagrams from their fragments, as a capture reader meets them, and decodes each
/// datagram once its last fragment came: the TCP segment of a fragmented packet, and the tunnel carried in fragmented
/// outer packets (a fragment found inside a reassembled datagram is reassembled in turn).
/// </summary>
/// <remarks>
/// The rules are Linux's (net/ipv4/ip_fragment.c, net/ipv6/reassembly.c, since 4.19), so a datagram is delivered
/// here when the kernel of the receiving host would have delivered it:
/// <list type="bullet">
/// <item>A datagram is the fragments of one IP identification between one source and destination (and for IPv4 one
/// protocol), seen in the same tunnel, VLAN and interface.</item>
/// <item>Overlapping fragments discard the whole datagram (RFC 5722 and its erratum 3089; Linux applies it to IPv4
/// as well); its fragments still arriving are discarded with it until it times out. An exact duplicate (the same
/// offset and length) is ignored and the first copy kept, whatever bytes it holds.</item>
/// <item>A last fragment that ends before bytes already held, a second last fragment that ends elsewhere, a fragment
/// beyond the last one's end, an empty fragment and a datagram longer than 65,535 bytes are dropped. A fragment
/// other than the last is cut to a multiple of 8 bytes in IPv4 and dropped when it is not one in IPv6.</item>
/// <item>A datagram not completed within 30 s (IPv4; 60 s for IPv6, Linux's ipfrag_time and ip6frag_time) of its
/// first fragment, in the capture's own time, is given up; so is the oldest when more than 4 MiB would be held
/// (Linux's ipfrag_high_thresh).</item>
/// <item>The reassembled packet has the first fragment's header (its TTL, options and the headers in front of it):
/// IPv4's fragment fields cleared and its checksum made again (kept wrong when the first fragment's was wrong);
/// IPv6's fragment header kept with offset 0, an atomic fragment.</item>
/// </list>
/// Every fragment is counted in <see cref="SegmentReadStatistics"/> by what became of it. Nothing is allocated per
/// fragment once the buffers reach their working size.
/// </remarks>
public sealed class FragmentReassembler : IDisposable
{
    /// <summary>How long an IPv4 datagram may take to complete, from its first fragment (Linux's ipfrag_time).</summary>
    public static readonly TimeSpan IPv4Timeout = TimeSpan.FromSeconds(30);

    /// <summary>How long an IPv6 datagram may take to complete, from its first fragment (Linux's ip6frag_time).</summary>
    public static readonly TimeSpan IPv6Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The most memory held for incomplete datagrams (Linux's ipfrag_high_thresh); beyond it the oldest is given up.</summary>
    public const int MaxHeldBytes = 4 << 20;

    private const int MaxDatagramLength = 65535;
    private const int DatagramOverhead = 256; // counted against MaxHeldBytes for each datagram beside its buffers

    private readonly SegmentReadStatistics _stats;
    private readonly Dictionary<FragmentKey, Datagram> _held = new();
    private readonly DatagramList _v4Order = new(); // held datagrams, oldest first, for time-outs and eviction
    private readonly DatagramList _v6Order = new();
    private readonly Stack<Datagram> _free = new();
    private byte[] _outputA = Array.Empty<byte>();
    private byte[] _outputB = Array.Empty<byte>();
    private byte[]? _lastOutput;
    private long[] _lastFrames = Array.Empty<long>();
    private int _lastFrameCount;
    private long _now = long.MinValue;
    private long _heldBytes;

    /// <summary>A reassembler that counts what it does in <paramref name="statistics"/>.</summary>
    public FragmentReassembler(SegmentReadStatistics statistics)
    {
        _stats = statistics;
    }

    /// <summary>Datagrams waiting for fragments (discarded ones waiting out their time included).</summary>
    public int HeldDatagrams => _held.Count;

    /// <summary>Bytes held for incomplete datagrams, as counted against <see cref="MaxHeldBytes"/>.</summary>
    public long HeldBytes => _heldBytes;

    /// <summary>
    /// Takes the fragment that <see cref="PacketDecoder"/> decoded from <paramref name="data"/> (status
    /// <see cref="DecodeStatus.Fragment"/>, with <paramref name="tcp"/> as it left it). Returns
    /// <see cref="DecodeStatus.Fragment"/> when the fragment is held (or dropped, counted); otherwise the fragment
    /// completed a datagram, and <paramref name="frame"/>, <paramref name="data"/> and <paramref name="tcp"/> are
    /// replaced by the reassembled frame (valid until the next call) and its decoding.
    /// </summary>
    public DecodeStatus Add(ref CapturedFrame frame, ref ReadOnlySpan<byte> data, ref DecodedTcp tcp)
    {
        while (true)
        {
            var status = Insert(frame, data, tcp, out var output, out int ipOffset, out int wireLength, out var state);
            if (status != DecodeStatus.Tcp)
            {
                return status;
            }
            frame = new CapturedFrame(frame.Number, frame.UnixTimeNanoseconds, frame.LinkType, output.Length, wireLength, frame.InterfaceId);
            data = output;
            tcp = state;
            status = PacketDecoder.DecodeReassembled(data, ipOffset, wireLength, ref tcp);
            if (status != DecodeStatus.Fragment)
            {
                return status;
            }
            // A fragment inside the datagram (the inner packet of a tunnel whose outer packets were fragmented too):
            // reassembled in its turn. Each turn is deeper in the frame, and the decoder's nesting limit bounds them.
        }
    }

    /// <summary>
    /// The frame numbers of the fragments that made <paramref name="data"/>, in offset order, when it is the
    /// datagram the last <see cref="Add"/> returned; null otherwise.
    /// </summary>
    public long[]? FragmentFrames(ReadOnlySpan<byte> data)
    {
        if (_lastOutput is null || data.IsEmpty || !data.Overlaps(_lastOutput))
        {
            return null;
        }
        return _lastFrames.AsSpan(0, _lastFrameCount).ToArray();
    }

    /// <summary>Gives up every held datagram (counted as incomplete), as at the end of a capture.</summary>
    public void Clear()
    {
        foreach (var d in _held.Values)
        {
            GiveUp(d);
            d.Release();
            d.Previous = d.Next = null;
            _free.Push(d);
        }
        _held.Clear();
        _v4Order.Clear();
        _v6Order.Clear();
        _heldBytes = 0;
    }

    public void Dispose()
    {
        Clear();
        _outputA = _outputB = Array.Empty<byte>();
        _lastOutput = null;
    }

    /// <summary>
    /// Files one fragment. <see cref="DecodeStatus.Tcp"/> here means "a datagram completed" (its frame in
    /// <paramref name="output"/>, its IP header at <paramref name="ipOffset"/>, the decoder's state before it in
    /// <paramref name="state"/>); <see cref="DecodeStatus.Fragment"/> held or dropped; TruncatedHeader when the
    /// capture cut the fragment's own headers.
    /// </summary>
    private DecodeStatus Insert(scoped in CapturedFrame frame, ReadOnlySpan<byte> data, scoped in DecodedTcp tcp,
        out ReadOnlySpan<byte> output, out int ipOffset, out int wireLength, out DecodedTcp state)
    {
        output = default;
        wireLength = 0;
        state = default;
        ipOffset = tcp.IPOffset;
        var stats = _stats;
        stats.Fragments++;
        if (frame.UnixTimeNanoseconds > _now)
        {
            _now = frame.UnixTimeNanoseconds;
            Expire();
        }

        bool v4 = tcp.IPVersion == 4;
        int start; // where the fragmentable part starts in the frame
        int offset; // its offset in the datagram
        bool more;
        uint id;
        byte protocol;
        int limit; // the most fragmentable bytes the datagram may hold
        if (v4)
        {
            start = tcp.TcpOffset;
            ushort field = BinaryPrimitives.ReadUInt16BigEndian(data[(ipOffset + 6)..]);
            offset = (field & 0x1FFF) * 8;
            more = (field & 0x2000) != 0;
            id = BinaryPrimitives.ReadUInt16BigEndian(data[(ipOffset + 4)..]);
            protocol = data[ipOffset + 9];
            limit = MaxDatagramLength - (start - ipOffset);
        }
        else
        {
            int header = tcp.TcpOffset; // the fragment header
            if (data.Length < header + 8)
            {
                stats.Fragments--; // counted as what the decoder would call it
                return DecodeStatus.TruncatedHeader;
            }
            start = header + 8;
            ushort field = BinaryPrimitives.ReadUInt16BigEndian(data[(header + 2)..]);
            offset = field & 0xFFF8;
            more = (field & 1) != 0;
            id = BinaryPrimitives.ReadUInt32BigEndian(data[(header + 4)..]);
            protocol = 0;
            limit = MaxDatagramLength - (start - ipOffset - 40);
        }
        if (data.Length < start)
        {
            stats.Fragments--;
            return DecodeStatus.TruncatedHeader;
        }
        int end = offset + ipOffset + tcp.IPLength - start;
        if (more && (end & 7) != 0)
        {
            if (!v4)
            {
                stats.FragmentsInvalid++; // RFC 8200 4.5: a fragment other than the last is a multiple of 8 bytes
                return DecodeStatus.Fragment;
            }
            end &= ~7;
        }
        if (end <= offset || end > limit)
        {
            stats.FragmentsInvalid++; // empty, or beyond the 65,535 bytes an IP length can state
            return DecodeStatus.Fragment;
        }

        var ip = data[ipOffset..];
        var key = v4
            ? new FragmentKey(IPAddressValue.FromIPv4(ip[12..]), IPAddressValue.FromIPv4(ip[16..]), id, protocol, 4, tcp.TunnelKey, tcp.VlanId, frame.InterfaceId)
            : new FragmentKey(IPAddressValue.FromIPv6(ip[8..]), IPAddressValue.FromIPv6(ip[24..]), id, protocol, 6, tcp.TunnelKey, tcp.VlanId, frame.InterfaceId);
        if (!_held.TryGetValue(key, out var d))
        {
            d = _free.Count > 0 ? _free.Pop() : new Datagram();
            d.Start(key, frame.UnixTimeNanoseconds);
            _held.Add(key, d);
            (v4 ? _v4Order : _v6Order).Append(d);
            _heldBytes += DatagramOverhead;
        }
        if (d.Discarded)
        {
            stats.FragmentsOverlapping++;
            return DecodeStatus.Fragment;
        }
        if (!more)
        {
            if (end < d.MaxEnd || (d.Length >= 0 && end != d.Length))
            {
                stats.FragmentsInvalid++; // bytes held beyond this end, or another last fragment
                return DecodeStatus.Fragment;
            }
            d.Length = end;
        }
        else if (d.Length >= 0 && end > d.Length)
        {
            stats.FragmentsInvalid++; // beyond the last fragment's end
            return DecodeStatus.Fragment;
        }

        int at = d.Find(offset);
        if (at < d.PieceCount && d.Pieces[at].Start == offset && d.Pieces[at].End == end)
        {
            stats.FragmentsDuplicate++; // Linux keeps the first copy of a duplicate
            return DecodeStatus.Fragment;
        }
        if ((at > 0 && d.Pieces[at - 1].End > offset) || (at < d.PieceCount && d.Pieces[at].Start < end))
        {
            // Overlap: the whole datagram goes (RFC 5722), and its later fragments with it.
            stats.FragmentsOverlapping += d.PieceCount + 1;
            stats.FragmentsPending -= d.PieceCount;
            _heldBytes -= d.Held;
            d.Release();
            d.Discarded = true;
            return DecodeStatus.Fragment;
        }

        long before = d.Held;
        d.Insert(at, offset, end, frame.Number);
        int captured = Math.Clamp(data.Length - start, 0, end - offset);
        d.Write(offset, data.Slice(start, captured), end);
        if (captured < end - offset)
        {
            d.CapturedEnd = Math.Min(d.CapturedEnd, offset + captured); // the snap length cut this fragment
        }
        if (offset == 0)
        {
            d.SetHead(data[..start], ipOffset, tcp);
        }
        _heldBytes += d.Held - before;
        stats.FragmentsPending++;

        if (d.Length < 0 || d.Covered != d.Length || !d.HasHead)
        {
            if (_heldBytes > MaxHeldBytes)
            {
                EvictOldest();
            }
            return DecodeStatus.Fragment;
        }

        // Complete: the head (the first fragment's headers) and the payload, in a buffer the caller's frame is not in.
        ref byte[] target = ref data.Overlaps(_outputA) ? ref _outputB : ref _outputA;
        int headLength = d.HeadLength;
        int total = headLength + d.Length;
        if (target.Length < total)
        {
            target = new byte[Math.Max(total, Math.Min(2 * target.Length, MaxDatagramLength + 4096))];
        }
        var buffer = target.AsSpan(0, total);
        d.Head.AsSpan(0, headLength).CopyTo(buffer);
        d.Payload.AsSpan(0, d.Length).CopyTo(buffer[headLength..]);
        ipOffset = d.IPOffset;
        state = d.State;
        if (v4)
        {
            var header = buffer[ipOffset..];
            int ihl = (header[0] & 0x0F) * 4;
            bool headerGood = InternetChecksum.Fold(InternetChecksum.Add(header[..ihl], 0)) == 0xFFFF;
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(ihl + d.Length));
            BinaryPrimitives.WriteUInt16BigEndian(header[6..], 0);
            header[10] = header[11] = 0;
            ushort sum = (ushort)~InternetChecksum.Fold(InternetChecksum.Add(header[..ihl], 0));
            MemoryMarshal.Write(header[10..], headerGood ? sum : (ushort)(sum ^ 1));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(ipOffset + 4)..], (ushort)(headLength - ipOffset - 40 + d.Length));
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(headLength - 6)..], 0); // offset 0, no more fragments
        }
        wireLength = total;
        output = buffer[..(headLength + Math.Min(d.Length, d.CapturedEnd))];
        _lastOutput = target;
        if (_lastFrames.Length < d.PieceCount)
        {
            _lastFrames = new long[Math.Max(d.PieceCount, 2 * _lastFrames.Length)];
        }
        for (int i = 0; i < d.PieceCount; i++)
        {
            _lastFrames[i] = d.Pieces[i].Frame;
        }
        _lastFrameCount = d.PieceCount;
        stats.ReassembledDatagrams++;
        stats.ReassembledFragments += d.PieceCount;
        stats.FragmentsPending -= d.PieceCount;
        Remove(d);
        return DecodeStatus.Tcp;
    }

    /// <summary>Gives up the datagrams whose time ran out (in the capture's time).</summary>
    private void Expire()
    {
        Expire(_v4Order, IPv4Timeout.Ticks * 100);
        Expire(_v6Order, IPv6Timeout.Ticks * 100);
    }

    private void Expire(DatagramList order, long timeout)
    {
        while (order.First is { } d && _now - d.FirstTime > timeout)
        {
            GiveUp(d);
            Remove(d);
        }
    }

    /// <summary>Gives up the oldest datagram to keep the held memory under <see cref="MaxHeldBytes"/>.</summary>
    private void EvictOldest()
    {
        while (_heldBytes > MaxHeldBytes)
        {
            Datagram? a = _v4Order.First, b = _v6Order.First;
            var d = a is null || (b is not null && b.FirstTime < a.FirstTime) ? b : a;
            if (d is null)
            {
                return;
            }
            GiveUp(d);
            Remove(d);
        }
    }

    /// <summary>Counts a datagram's held fragments as incomplete.</summary>
    private void GiveUp(Datagram d)
    {
        if (!d.Discarded)
        {
            _stats.FragmentsGivenUp += d.PieceCount;
            _stats.FragmentsPending -= d.PieceCount;
        }
    }

    private void Remove(Datagram d)
    {
        _held.Remove(d.Key);
        (d.Key.Version == 4 ? _v4Order : _v6Order).Remove(d);
        _heldBytes -= d.Held + DatagramOverhead;
        d.Release();
        _free.Push(d);
    }

    /// <summary>What one datagram is known by (RFC 791's and 8200's, and the path it was seen on).</summary>
    private readonly record struct FragmentKey(IPAddressValue Source, IPAddressValue Destination, uint Id, byte Protocol,
        byte Version, uint Tunnel, int Vlan, int Interface);

    /// <summary>One fragment's place in its datagram, and the frame it came in.</summary>
    private struct Piece
    {
        public int Start;
        public int End;
        public long Frame;
    }

    /// <summary>Held datagrams in the order they began (a list through the datagrams themselves: nothing to allocate).</summary>
    private sealed class DatagramList
    {
        public Datagram? First;
        private Datagram? _last;

        public void Append(Datagram d)
        {
            d.Previous = _last;
            d.Next = null;
            if (_last is null)
            {
                First = d;
            }
            else
            {
                _last.Next = d;
            }
            _last = d;
        }

        public void Remove(Datagram d)
        {
            if (d.Previous is null)
            {
                First = d.Next;
            }
            else
            {
                d.Previous.Next = d.Next;
            }
            if (d.Next is null)
            {
                _last = d.Previous;
            }
            else
            {
                d.Next.Previous = d.Previous;
            }
            d.Previous = d.Next = null;
        }

        public void Clear() => First = _last = null;
    }

    /// <summary>The fragments of one datagram held so far; reused once the datagram is done.</summary>
    private sealed class Datagram
    {
        public FragmentKey Key;
        public long FirstTime;
        public Datagram? Previous; // in its DatagramList, oldest first
        public Datagram? Next;
        public bool Discarded;
        public int Length; // the fragmentable part's length, once the last fragment came; -1 before
        public int MaxEnd;
        public int Covered;
        public int CapturedEnd;
        public byte[] Payload = Array.Empty<byte>();
        public Piece[] Pieces = new Piece[4];
        public int PieceCount;
        public byte[] Head = Array.Empty<byte>();
        public int HeadLength;
        public bool HasHead;
        public int IPOffset;
        public DecodedTcp State;

        /// <summary>The memory this datagram holds, as counted against <see cref="MaxHeldBytes"/>.</summary>
        public int Held => Payload.Length + (HasHead ? HeadLength : 0) + PieceCount * 16;

        public void Start(FragmentKey key, long time)
        {
            Key = key;
            FirstTime = time;
            Discarded = false;
            Length = -1;
            MaxEnd = 0;
            Covered = 0;
            CapturedEnd = int.MaxValue;
            PieceCount = 0;
            HasHead = false;
        }

        /// <summary>The index of the first piece that starts at or after <paramref name="offset"/>.</summary>
        public int Find(int offset)
        {
            int lo = 0, hi = PieceCount;
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (Pieces[mid].Start < offset)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            return lo;
        }

        public void Insert(int at, int start, int end, long frame)
        {
            if (PieceCount == Pieces.Length)
            {
                Array.Resize(ref Pieces, 2 * Pieces.Length);
            }
            Array.Copy(Pieces, at, Pieces, at + 1, PieceCount - at);
            Pieces[at] = new Piece { Start = start, End = end, Frame = frame };
            PieceCount++;
            Covered += end - start;
            MaxEnd = Math.Max(MaxEnd, end);
        }

        public void Write(int offset, ReadOnlySpan<byte> bytes, int end)
        {
            if (Payload.Length < end)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(end, Math.Min(2 * Payload.Length, MaxDatagramLength)));
                Payload.AsSpan(0, Math.Min(Payload.Length, MaxEnd)).CopyTo(larger);
                ReturnPayload();
                Payload = larger;
            }
            bytes.CopyTo(Payload.AsSpan(offset));
        }

        public void SetHead(ReadOnlySpan<byte> head, int ipOffset, in DecodedTcp state)
        {
            if (Head.Length < head.Length)
            {
                Head = new byte[Math.Max(head.Length, 128)];
            }
            head.CopyTo(Head);
            HeadLength = head.Length;
            HasHead = true;
            IPOffset = ipOffset;
            State = state;
        }

        /// <summary>Returns the payload buffer to the pool and forgets the pieces: nothing held.</summary>
        public void Release()
        {
            ReturnPayload();
            PieceCount = 0;
            HasHead = false;
        }

        private void ReturnPayload()
        {
            if (Payload.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(Payload);
                Payload = Array.Empty<byte>();
            }
        }
    }
}
