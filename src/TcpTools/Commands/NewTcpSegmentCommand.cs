using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>New-TcpSegment: crafts a TCP segment (IPv4 or IPv6, checksums computed) as a TcpSegment object, for Send-TcpSegment or Export-TcpCapture.</summary>
[Cmdlet(VerbsCommon.New, "TcpSegment")]
[OutputType(typeof(TcpSegment))]
public sealed class NewTcpSegmentCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("DestinationAddress")]
    [ValidateNotNull]
    public IPAddress Destination { get; set; } = IPAddress.None;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ServicePort]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public ushort DestinationPort { get; set; }

    /// <summary>The source address; by default the one the kernel would use to reach -Destination.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("SourceAddress")]
    public IPAddress? Source { get; set; }

    /// <summary>The source port; random (40000-59999) by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ServicePort]
    public ushort SourcePort { get; set; }

    /// <summary>Flags, as names: Syn; 'Syn, Ack'; 'Psh, Ack'; Rst; 'Fin, Ack' (default Syn).</summary>
    [Parameter]
    public TcpFlags Flags { get; set; } = TcpFlags.Syn;

    /// <summary>The sequence number; random by default.</summary>
    [Parameter]
    [Alias("Seq")]
    public uint SequenceNumber { get; set; }

    [Parameter]
    [Alias("Ack")]
    public uint AcknowledgmentNumber { get; set; }

    [Parameter]
    public ushort Window { get; set; } = 64240;

    [Parameter]
    public ushort UrgentPointer { get; set; }

    /// <summary>The MSS option (kind 2).</summary>
    [Parameter]
    public ushort? Mss { get; set; }

    /// <summary>The window scale option (kind 3), 0-14.</summary>
    [Parameter]
    [ValidateRange(0, 14)]
    public byte? WindowScale { get; set; }

    /// <summary>The SACK-permitted option (kind 4).</summary>
    [Parameter]
    public SwitchParameter SackPermitted { get; set; }

    /// <summary>The timestamps option (kind 8): TSval, and optionally TSecr.</summary>
    [Parameter]
    [ValidateCount(1, 2)]
    public uint[]? Timestamp { get; set; }

    /// <summary>Raw option bytes, appended after the options above (padded to 4 bytes with end-of-options).</summary>
    [Parameter]
    public byte[]? RawOptions { get; set; }

    /// <summary>IPv4 TTL or IPv6 hop limit (default 64).</summary>
    [Parameter]
    [Alias("HopLimit")]
    public byte Ttl { get; set; } = 64;

    [Parameter]
    public byte[]? Payload { get; set; }

    /// <summary>Payload as text, UTF-8 encoded (for example an HTTP request line).</summary>
    [Parameter]
    public string? PayloadText { get; set; }

    protected override void ProcessRecord()
    {
        IPAddress source;
        try
        {
            source = Source ?? TcpSender.SourceFor(Destination);
        }
        catch (NetworkUnreachableException e)
        {
            WriteError(new ErrorRecord(e, "TargetUnreachable", ErrorCategory.ConnectionError, Destination));
            return;
        }
        if (source.AddressFamily != Destination.AddressFamily)
        {
            WriteError(new ErrorRecord(new ArgumentException($"-Source {source} and -Destination {Destination} must both be IPv4 or both IPv6."), "AddressFamilyMismatch", ErrorCategory.InvalidArgument, Destination));
            return;
        }
        var options = new List<byte>();
        if (Mss is { } mss)
        {
            options.AddRange(new byte[] { 2, 4, (byte)(mss >> 8), (byte)mss });
        }
        if (SackPermitted)
        {
            options.AddRange(new byte[] { 4, 2 });
        }
        if (Timestamp is { Length: > 0 } ts)
        {
            uint val = ts[0], ecr = ts.Length > 1 ? ts[1] : 0;
            options.AddRange(new byte[] { 8, 10, (byte)(val >> 24), (byte)(val >> 16), (byte)(val >> 8), (byte)val, (byte)(ecr >> 24), (byte)(ecr >> 16), (byte)(ecr >> 8), (byte)ecr });
        }
        if (WindowScale is { } ws)
        {
            options.AddRange(new byte[] { 1, 3, 3, ws });
        }
        if (RawOptions != null)
        {
            options.AddRange(RawOptions);
        }
        if (options.Count > 40)
        {
            WriteError(new ErrorRecord(new ArgumentException($"The TCP options take {options.Count} bytes; at most 40 fit in a TCP header."), "OptionsTooLong", ErrorCategory.InvalidArgument, options.Count));
            return;
        }
        byte[] payload = Payload ?? (PayloadText is null ? Array.Empty<byte>() : System.Text.Encoding.UTF8.GetBytes(PayloadText));
        int maxPayload = 65535 - (source.AddressFamily == AddressFamily.InterNetworkV6 ? 0 : 20) - 20 - ((options.Count + 3) & ~3);
        if (payload.Length > maxPayload)
        {
            WriteError(new ErrorRecord(new ArgumentException($"The payload of {payload.Length} bytes does not fit in one IP packet (at most {maxPayload})."), "PayloadTooLong", ErrorCategory.InvalidArgument, payload.Length));
            return;
        }
        var spec = new TcpSegmentSpec
        {
            Source = source,
            Destination = Destination,
            SourcePort = MyInvocation.BoundParameters.ContainsKey(nameof(SourcePort)) ? SourcePort : (ushort)Random.Shared.Next(40000, 60000),
            DestinationPort = DestinationPort,
            SequenceNumber = MyInvocation.BoundParameters.ContainsKey(nameof(SequenceNumber)) ? SequenceNumber : (uint)Random.Shared.NextInt64(0, 1L << 32),
            AcknowledgmentNumber = AcknowledgmentNumber,
            Flags = Flags,
            Window = Window,
            UrgentPointer = UrgentPointer,
            Options = options.ToArray(),
            Ttl = Ttl,
            Payload = payload,
        };
        WriteObject(TcpSender.Build(spec));
    }
}
