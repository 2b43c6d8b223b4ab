using System;
using System.Collections.Generic;

namespace TcpTools;

/// <summary>Why a live capture could not start.</summary>
public enum CaptureDeviceFault
{
    /// <summary>No interface of that name: <see cref="CaptureDeviceException.ValidNames"/> lists the ones there are.</summary>
    NotFound,

    /// <summary>Not privileged enough to capture (or to send): the message says how to fix it.</summary>
    PermissionDenied,

    /// <summary>The interface exists but libpcap could not open or configure it (down, unsupported, busy).</summary>
    OpenFailed,

    /// <summary>libpcap failed while reading from an open interface.</summary>
    ReadFailed,

    /// <summary>A packet could not be sent (too large for the link, interface down, ...).</summary>
    SendFailed,
}

/// <summary>A live interface could not be opened or read. <see cref="Device"/> names it.</summary>
public sealed class CaptureDeviceException : Exception
{
    /// <summary>How to get the right to capture, per platform.</summary>
    public const string PermissionHint =
        "Capturing and sending packets needs privileges: run PowerShell elevated (sudo pwsh; on Windows, as Administrator with Npcap installed), " +
        "or give the executable the capabilities once: sudo setcap cap_net_raw,cap_net_admin+eip \"$(readlink -f \"$(command -v pwsh)\")\" " +
        "(for tcptools, on the tcptools executable itself). On macOS, make /dev/bpf* readable by your group (Wireshark's ChmodBPF does it).";

    public CaptureDeviceException(CaptureDeviceFault fault, string device, string message, IReadOnlyList<string>? validNames = null, Exception? inner = null)
        : base(message, inner)
    {
        Fault = fault;
        Device = device;
        ValidNames = validNames ?? Array.Empty<string>();
    }

    public CaptureDeviceFault Fault { get; }

    /// <summary>The interface name as given.</summary>
    public string Device { get; }

    /// <summary>For <see cref="CaptureDeviceFault.NotFound"/>: the interfaces libpcap sees.</summary>
    public IReadOnlyList<string> ValidNames { get; }

    /// <summary>True when libpcap's message means "not allowed" rather than "cannot".</summary>
    internal static bool IsPermissionMessage(string message) =>
        message.Contains("permission", StringComparison.OrdinalIgnoreCase)
        || message.Contains("Operation not permitted", StringComparison.OrdinalIgnoreCase)
        || message.Contains("EPERM", StringComparison.Ordinal)
        || message.Contains("Access is denied", StringComparison.OrdinalIgnoreCase);
}
