using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using SharpPcap;
using SharpPcap.LibPcap;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Capture;

/// <summary>
/// TCP segments from one or more live interfaces (libpcap through SharpPcap). Every interface is opened in
/// non-blocking mode and read in turn on the caller's thread; when none has a packet the reader waits in poll(2)
/// on their descriptors (or sleeps briefly where there is none), so one thread serves any number of interfaces,
/// nothing is allocated per packet on the in-place path, and a stop request is seen within one wait.
/// </summary>
public sealed class LiveCapture : IDisposable
{
    private const int MaxFramesPerCheck = 4096;
    private readonly Device[] _devices;
    private readonly PollFd[] _pollFds;
    private int _next;
    private long _frameNumber;
    private bool _disposed;
    private FragmentReassembler? _fragments; // made at the first fragment

    private LiveCapture(Device[] devices)
    {
        _devices = devices;
        _pollFds = new PollFd[devices.Length];
    }

    /// <summary>The interfaces being captured, in the order given (a frame's InterfaceId indexes this).</summary>
    public IReadOnlyList<string> DeviceNames => _devices.Select(d => d.Name).ToArray();

    /// <summary>The link type of each interface.</summary>
    public IReadOnlyList<LinkType> LinkTypes => _devices.Select(d => d.LinkType).ToArray();

    /// <summary>True when every interface gives nanosecond timestamps (otherwise microseconds).</summary>
    public bool NanosecondTimestamps => _devices.All(d => d.Nanoseconds);

    public SegmentReadStatistics Statistics { get; } = new();

    /// <summary>Problems that did not stop the capture (a setting libpcap refused), for the caller to report.</summary>
    public Queue<string> Warnings { get; } = new();

    /// <summary>The interfaces libpcap sees, with their addresses; <paramref name="probeLinkType"/> opens each to ask its link type.</summary>
    public static IReadOnlyList<TcpCaptureDevice> ListDevices(bool probeLinkType = true)
    {
        var result = new List<TcpCaptureDevice>();
        foreach (var dev in AllDevices())
        {
            if (dev.Interface is not { } pcapInterface)
            {
                continue;
            }
            var addresses = (pcapInterface.Addresses ?? new()).Select(a => a.Addr?.ipAddress).Where(a => a != null).Cast<IPAddress>().ToArray();
            string? mac = pcapInterface.MacAddress is { } pa && pa.GetAddressBytes().Length == 6 && pa.GetAddressBytes().Any(b => b != 0)
                ? string.Join(':', pa.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)))
                : null;
            LinkType? linkType = null;
            if (probeLinkType && IsNetworkInterface(pcapInterface.Name))
            {
                try
                {
                    dev.Open(new DeviceConfiguration { Snaplen = 128, ReadTimeout = 1, BufferSize = 1 << 16 });
                    linkType = (LinkType)(ushort)dev.LinkType;
                }
                catch (PcapException)
                {
                    // Not privileged, or the interface cannot be opened: its link type stays unknown.
                }
                finally
                {
                    dev.Close();
                }
            }
            result.Add(new TcpCaptureDevice(pcapInterface.Name, pcapInterface.Description, addresses, mac, pcapInterface.Flags, linkType));
        }
        return result;
    }

    /// <summary>
    /// True for interfaces that are safe to open just to ask their link type: network interfaces and "any". On Linux,
    /// libpcap's pseudo-devices (nflog, nfqueue, usbmon, dbus, bluetooth) are left closed: opening nfqueue, for one,
    /// binds a netfilter queue that another program may be using.
    /// </summary>
    private static bool IsNetworkInterface(string name) =>
        !OperatingSystem.IsLinux() || name == "any" || System.IO.Directory.Exists(System.IO.Path.Combine("/sys/class/net", name));

    /// <summary>
    /// Opens every interface of <paramref name="options"/>. Throws <see cref="CaptureDeviceException"/> (unknown
    /// interface, not permitted, cannot open), <see cref="CaptureFilterException"/> or <see cref="PcapUnavailableException"/>.
    /// </summary>
    public static LiveCapture Open(LiveCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Interfaces.Count == 0)
        {
            throw new ArgumentException("At least one interface is needed.", nameof(options));
        }
        var available = AllDevices();
        var opened = new List<Device>();
        var warnings = new List<string>();
        try
        {
            foreach (string name in options.Interfaces)
            {
                var dev = available.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal))
                    ?? available.FirstOrDefault(d => string.Equals(d.Interface?.FriendlyName, name, StringComparison.OrdinalIgnoreCase));
                if (dev is null)
                {
                    var names = available.Select(d => d.Name).ToArray();
                    throw new CaptureDeviceException(CaptureDeviceFault.NotFound, name,
                        $"There is no capture interface '{name}'. Interfaces libpcap sees: {(names.Length == 0 ? "none (not privileged enough to list them?)" : string.Join(", ", names))}.", names);
                }
                if (opened.Any(o => ReferenceEquals(o.Pcap, dev)))
                {
                    continue; // the same interface twice: once is enough
                }
                opened.Add(OpenDevice(dev, options, warnings));
            }
        }
        catch
        {
            foreach (var d in opened)
            {
                d.Pcap.Close();
            }
            throw;
        }
        var capture = new LiveCapture(opened.ToArray());
        foreach (string w in warnings)
        {
            capture.Warnings.Enqueue(w);
        }
        return capture;
    }

    /// <summary>
    /// The next TCP segment, decoded in place (nothing allocated; <paramref name="data"/> is valid until the next
    /// call), or false when none arrived within <paramref name="waitMilliseconds"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public bool TryReadNext(out CapturedFrame frame, out ReadOnlySpan<byte> data, out DecodedTcp tcp, int waitMilliseconds)
    {
        long deadline = Environment.TickCount64 + Math.Max(0, waitMilliseconds);
        while (true)
        {
            int sinceCheck = 0;
            while (TryReadFrame(out frame, out data))
            {
                Statistics.Frames++;
                var status = PacketDecoder.TryDecode(frame.LinkType, data, frame.OriginalLength, out tcp);
                if (Statistics.Count(status))
                {
                    return true;
                }
                if (status == DecodeStatus.Fragment
                    && Statistics.Count((_fragments ??= new FragmentReassembler(Statistics)).Add(ref frame, ref data, ref tcp)))
                {
                    return true;
                }
                // A flood of other traffic must not keep the caller from its deadline and Ctrl+C.
                if (++sinceCheck == MaxFramesPerCheck)
                {
                    sinceCheck = 0;
                    if (Environment.TickCount64 >= deadline)
                    {
                        tcp = default;
                        return false;
                    }
                }
            }
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                tcp = default;
                return false;
            }
            Wait((int)Math.Min(left, 100));
        }
    }

    /// <summary>The next frame of any kind (not decoded), or false when none arrived within the wait.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadNextFrame(out CapturedFrame frame, out ReadOnlySpan<byte> data, int waitMilliseconds)
    {
        long deadline = Environment.TickCount64 + Math.Max(0, waitMilliseconds);
        while (true)
        {
            if (TryReadFrame(out frame, out data))
            {
                Statistics.Frames++;
                return true;
            }
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }
            Wait((int)Math.Min(left, 100));
        }
    }

    /// <summary>Injects a frame (with its link-layer header) on interface <paramref name="deviceIndex"/>.</summary>
    public void Send(int deviceIndex, ReadOnlySpan<byte> frame)
    {
        var d = _devices[deviceIndex];
        try
        {
            d.Pcap.SendPacket(frame);
        }
        catch (PcapException e)
        {
            var fault = CaptureDeviceException.IsPermissionMessage(e.Message) ? CaptureDeviceFault.PermissionDenied : CaptureDeviceFault.SendFailed;
            throw new CaptureDeviceException(fault, d.Name, $"Sending on '{d.Name}' failed: {e.Message.Trim()}", inner: e);
        }
    }

    /// <summary>The next TCP segment as an object (the frame copied), or false after the wait.</summary>
    public bool TryReadNext([NotNullWhen(true)] out TcpSegment? segment, int waitMilliseconds)
    {
        if (TryReadNext(out CapturedFrame frame, out ReadOnlySpan<byte> data, out DecodedTcp tcp, waitMilliseconds))
        {
            segment = TcpSegment.Create(frame, data, tcp, null, _devices[frame.InterfaceId].Name, _fragments?.FragmentFrames(data));
            return true;
        }
        segment = null;
        return false;
    }

    /// <summary>libpcap's counters for each interface now.</summary>
    public IReadOnlyList<LiveCaptureStatistics> GetStatistics()
    {
        var list = new List<LiveCaptureStatistics>(_devices.Length);
        foreach (var d in _devices)
        {
            try
            {
                var s = d.Pcap.Statistics;
                list.Add(new LiveCaptureStatistics(d.Name, s.ReceivedPackets, s.DroppedPackets, s.InterfaceDroppedPackets));
            }
            catch (PcapException)
            {
                list.Add(new LiveCaptureStatistics(d.Name, -1, -1, -1));
            }
        }
        return list;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _fragments?.Dispose();
        foreach (var d in _devices)
        {
            d.Pcap.Close();
        }
    }

    private static LibPcapLiveDevice[] AllDevices()
    {
        try
        {
            return LibPcapLiveDeviceList.New().ToArray();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new PcapUnavailableException(e);
        }
    }

    private static Device OpenDevice(LibPcapLiveDevice dev, LiveCaptureOptions options, List<string> warnings)
    {
        var config = new DeviceConfiguration
        {
            Mode = options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
            Snaplen = options.SnapLength,
            BufferSize = options.BufferSize,
            ReadTimeout = options.ReadTimeout,
            TimestampResolution = TimestampResolution.Nanosecond,
        };
        config.ConfigurationFailed += (_, e) =>
        {
            if (e.Property != nameof(DeviceConfiguration.TimestampResolution))
            {
                warnings.Add($"{dev.Name}: libpcap refused {e.Property} ({e.Error}: {e.Message}); the capture runs without it.");
            }
        };
        try
        {
            dev.Open(config);
        }
        catch (PcapException e)
        {
            var fault = CaptureDeviceException.IsPermissionMessage(e.Message) ? CaptureDeviceFault.PermissionDenied : CaptureDeviceFault.OpenFailed;
            string message = fault == CaptureDeviceFault.PermissionDenied
                ? $"Not permitted to capture on '{dev.Name}' ({e.Message.Trim()}). {CaptureDeviceException.PermissionHint}"
                : $"Cannot open '{dev.Name}' for capture: {e.Message.Trim()}";
            throw new CaptureDeviceException(fault, dev.Name, message, inner: e);
        }
        try
        {
            if (!string.IsNullOrEmpty(options.Filter))
            {
                try
                {
                    dev.Filter = options.Filter;
                }
                catch (PcapException e)
                {
                    throw new CaptureFilterException(options.Filter, e.Message);
                }
            }
            dev.NonBlockingMode = true;
            var linkType = (LinkType)(ushort)dev.LinkType;
            if (linkType is LinkType.RawBsd or LinkType.RawOpenBsd)
            {
                linkType = LinkType.Raw; // libpcap's DLT_RAW (12 or 14 by platform) is LINKTYPE_RAW (101) in files
            }
            if (!PacketDecoder.IsSupported(linkType))
            {
                throw new CaptureDeviceException(CaptureDeviceFault.OpenFailed, dev.Name,
                    $"'{dev.Name}' captures link type {(ushort)linkType}, which TcpTools does not decode (Ethernet, Linux cooked, raw IP and BSD loopback are supported).");
            }
            return new Device(dev, linkType, dev.TimestampResolution == TimestampResolution.Nanosecond, SelectableFd(dev));
        }
        catch
        {
            dev.Close();
            throw;
        }
    }

    /// <summary>One frame from the interfaces in turn, or false when none has one right now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe bool TryReadFrame(out CapturedFrame frame, out ReadOnlySpan<byte> data)
    {
        for (int tried = 0; tried < _devices.Length; tried++)
        {
            int index = _next;
            _next = index + 1 == _devices.Length ? 0 : index + 1;
            var d = _devices[index];
            IntPtr header = IntPtr.Zero, bytes = IntPtr.Zero;
            int rc = d.Pcap.GetNextPacketPointers(ref header, ref bytes);
            if (rc == 1)
            {
                // struct pcap_pkthdr: timeval (two 64-bit longs on LP64; two 32-bit longs on Windows), caplen, len.
                byte* h = (byte*)header;
                long seconds, fraction;
                int captured, original;
                if (OperatingSystem.IsWindows())
                {
                    seconds = *(int*)h;
                    fraction = *(int*)(h + 4);
                    captured = *(int*)(h + 8);
                    original = *(int*)(h + 12);
                }
                else
                {
                    seconds = *(long*)h;
                    fraction = *(int*)(h + 8); // tv_usec (< 10^9): a long on Linux, an int on macOS; little-endian either way
                    captured = *(int*)(h + 16);
                    original = *(int*)(h + 20);
                }
                long ns = seconds * 1_000_000_000L + (d.Nanoseconds ? fraction : fraction * 1000);
                data = new ReadOnlySpan<byte>((void*)bytes, captured);
                frame = new CapturedFrame(++_frameNumber, ns, d.LinkType, captured, original, index);
                return true;
            }
            if (rc < 0 && rc != -2)
            {
                string error = d.Pcap.LastError;
                throw new CaptureDeviceException(CaptureDeviceFault.ReadFailed, d.Name, $"Reading from '{d.Name}' failed: {error}");
            }
        }
        frame = default;
        data = default;
        return false;
    }

    /// <summary>Waits until an interface may have packets, at most <paramref name="milliseconds"/>.</summary>
    private void Wait(int milliseconds)
    {
        if (OperatingSystem.IsWindows() || _devices.Any(d => d.Fd < 0) || !Poll.Available)
        {
            Thread.Sleep(Math.Min(milliseconds, 5));
            return;
        }
        for (int i = 0; i < _devices.Length; i++)
        {
            _pollFds[i] = new PollFd { Fd = _devices[i].Fd, Events = PollFd.PollIn };
        }
        Poll.Wait(_pollFds, milliseconds);
    }

    private static int SelectableFd(LibPcapLiveDevice dev)
    {
        if (OperatingSystem.IsWindows())
        {
            return -1;
        }
        var handle = dev.Handle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Poll.SelectableFd(handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private sealed record Device(LibPcapLiveDevice Pcap, LinkType LinkType, bool Nanoseconds, int Fd)
    {
        public string Name => Pcap.Name;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public const short PollIn = 1;
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>poll(2) from libc and pcap_get_selectable_fd from libpcap, resolved once; absent on Windows.</summary>
    private static unsafe class Poll
    {
        private static readonly delegate* unmanaged<IntPtr, int> s_selectableFd = Resolve(
            new[] { "libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.A.dylib", "libpcap.dylib" }, "pcap_get_selectable_fd");

        private static readonly delegate* unmanaged<PollFd*, nuint, int, int> s_poll = (delegate* unmanaged<PollFd*, nuint, int, int>)Resolve(
            new[] { "libc.so.6", "libc.so", "libSystem.dylib" }, "poll");

        public static bool Available => s_selectableFd != null && s_poll != null;

        public static int SelectableFd(IntPtr pcap) => s_selectableFd == null ? -1 : s_selectableFd(pcap);

        public static void Wait(PollFd[] fds, int milliseconds)
        {
            fixed (PollFd* p = fds)
            {
                _ = s_poll(p, (nuint)fds.Length, milliseconds);
            }
        }

        private static delegate* unmanaged<IntPtr, int> Resolve(string[] libraries, string symbol)
        {
            if (OperatingSystem.IsWindows())
            {
                return null;
            }
            foreach (string library in libraries)
            {
                if (NativeLibrary.TryLoad(library, out IntPtr lib) && NativeLibrary.TryGetExport(lib, symbol, out IntPtr address))
                {
                    return (delegate* unmanaged<IntPtr, int>)address;
                }
            }
            return null;
        }
    }
}
