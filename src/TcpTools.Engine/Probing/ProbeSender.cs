using System;
using System.Net;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Probing;

/// <summary>
/// The scan's sending thread, as masscan splits its transmit and receive threads: the scan loop decides what to
/// send (rate, retransmissions, teardown RSTs) and queues it here; this thread builds and injects the packets. The
/// kernel's work for a sent packet (on a veth, the receiver's whole stack and the answer's capture run inside the
/// send call) then runs beside the loop's own work (reading answers, deciding, writing results) on another core.
/// A single-producer single-consumer ring: nothing allocated per packet, no lock on the way.
/// </summary>
internal sealed class ProbeSender : IDisposable
{
    private const int Capacity = 2048; // a power of two
    private readonly Item[] _ring = new Item[Capacity];
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _work = new(false);
    private readonly byte[] _buffer = new byte[256];
    private readonly byte[] _synOptions;
    private readonly TcpSegmentSpec _spec;
    private long _head; // written by the producer
    private long _tail; // written by the consumer
    private volatile bool _stopping;
    private long _sent;
    private long _failures;
    private Exception? _fault;

    public ProbeSender(ushort sourcePort, byte[] synOptions)
    {
        _synOptions = synOptions;
        _spec = new TcpSegmentSpec { Source = IPAddress.Any, Destination = IPAddress.Any, SourcePort = sourcePort };
        _thread = new Thread(Loop) { IsBackground = true, Name = "TcpTools scan sender" };
        _thread.Start();
    }

    /// <summary>SYNs handed to the kernel.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Sends the kernel refused for want of room (ENOBUFS): signs of loss for the rate.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Room in the queue now.</summary>
    public int Free => Capacity - (int)(Volatile.Read(ref _head) - Volatile.Read(ref _tail));

    /// <summary>Queues a SYN (or, with <paramref name="reset"/>, the RST that ends an open port's half-open connection); false when full.</summary>
    public bool TryQueue(ScanProbe probe, bool reset)
    {
        ThrowIfFaulted();
        long head = _head;
        if (head - Volatile.Read(ref _tail) >= Capacity)
        {
            return false;
        }
        ref var item = ref _ring[head & (Capacity - 1)];
        item = new Item(probe, probe.Id, probe.Path, probe.Address, probe.Port, reset ? probe.Seq + 1 : probe.Seq, reset);
        Volatile.Write(ref _head, head + 1);
        return true;
    }

    /// <summary>Wakes the thread for what was queued.</summary>
    public void Flush()
    {
        if (!_work.IsSet)
        {
            _work.Set();
        }
    }

    /// <summary>Rethrows what stopped the thread (a device fault), on the caller's thread.</summary>
    public void ThrowIfFaulted()
    {
        if (_fault is { } e)
        {
            throw e is CaptureDeviceException d ? new CaptureDeviceException(d.Fault, d.Device, d.Message, inner: d) : new InvalidOperationException("The scan's sending thread failed.", e);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _work.Set();
        _thread.Join(TimeSpan.FromSeconds(5));
        _work.Dispose();
    }

    /// <summary>
    /// Compiles the send path before the first probe (its methods are compiled fully optimised on first call, and
    /// libpcap's send is bound on first call): otherwise the first probe's Rtt carries milliseconds of that.
    /// </summary>
    private static void WarmUp()
    {
        try
        {
            const System.Reflection.BindingFlags All = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic
                | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance;
            foreach (var m in new[]
            {
                typeof(ProbeSender).GetMethod(nameof(Send), All),
                typeof(PacketBuilder).GetMethod(nameof(PacketBuilder.WriteIPPacket), All),
                typeof(PacketBuilder).GetMethod(nameof(PacketBuilder.WriteEthernet), All),
                typeof(ProbeChannel).GetMethod(nameof(ProbeChannel.SendIPPacket), All),
                typeof(LiveCapture).GetMethod(nameof(LiveCapture.Send), All),
            })
            {
                if (m != null)
                {
                    System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(m.MethodHandle);
                }
            }
            var native = typeof(SharpPcap.LibPcap.LibPcapLiveDevice).Assembly.GetType("SharpPcap.LibPcap.LibPcapSafeNativeMethods");
            foreach (var m in native?.GetMethods(All) ?? Array.Empty<System.Reflection.MethodInfo>())
            {
                if (m.Name == "pcap_sendpacket")
                {
                    System.Runtime.InteropServices.Marshal.Prelink(m);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Only a warm-up: the first send compiles what is left.
        }
    }

    private void Loop()
    {
        WarmUp();
        try
        {
            while (!_stopping)
            {
                long tail = _tail;
                if (tail == Volatile.Read(ref _head))
                {
                    _work.Reset();
                    if (tail == Volatile.Read(ref _head) && !_stopping)
                    {
                        _work.Wait(5);
                    }
                    continue;
                }
                var item = _ring[tail & (Capacity - 1)];
                _ring[tail & (Capacity - 1)] = default; // no reference kept to a reused probe
                Volatile.Write(ref _tail, tail + 1);
                Send(item);
            }
        }
        catch (Exception e)
        {
            _fault = e;
        }
    }

    private void Send(in Item item)
    {
        var spec = _spec;
        spec.Source = item.Path.Source;
        spec.Destination = item.Destination;
        spec.DestinationPort = item.Port;
        spec.SequenceNumber = item.Seq;
        spec.Flags = item.Reset ? TcpFlags.Rst : TcpFlags.Syn;
        spec.Window = item.Reset ? (ushort)0 : (ushort)64240;
        spec.Options = item.Reset ? Array.Empty<byte>() : _synOptions;
        // Built first, then stamped: the send time excludes building the frame (and, for the first probe, compiling
        // the code that builds it, which made a single probe's Rtt ~17 ms on a LAN).
        int length = PacketBuilder.WriteIPPacket(spec, _buffer.AsSpan(14));
        long before = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        if (!item.Reset && item.Probe.Id == item.Id)
        {
            item.Probe.SentUnixNs = before; // the answer may be captured before the send returns (a veth's is)
        }
        try
        {
            item.Path.Channel!.SendIPPacket(_buffer, length, spec.Source, spec.Destination, item.Path.Mac);
        }
        catch (CaptureDeviceException e) when (e.Fault == CaptureDeviceFault.SendFailed && Interlocked.Read(ref _failures) < 1_000_000)
        {
            Interlocked.Increment(ref _failures); // ENOBUFS and kin: the probe goes again at its timeout
            return;
        }
        if (!item.Reset)
        {
            Interlocked.Increment(ref _sent);
        }
    }

    private readonly record struct Item(ScanProbe Probe, long Id, ProbePath Path, IPAddress Destination, ushort Port, uint Seq, bool Reset);
}
