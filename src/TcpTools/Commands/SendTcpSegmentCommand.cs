using System;
using System.Management.Automation;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>Send-TcpSegment: sends TcpSegment objects (crafted by New-TcpSegment, or captured) and, with -Wait, returns each answer.</summary>
[Cmdlet(VerbsCommunications.Send, "TcpSegment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TcpSegment))]
public sealed class SendTcpSegmentCommand : TcpSendCommandBase
{

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public TcpSegment[] InputObject { get; set; } = Array.Empty<TcpSegment>();

    /// <summary>Wait for the segment that answers each one (from its destination address and port to its source) and write it.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>How long -Wait waits for an answer (a number is seconds; default 1).</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    protected override void BeginProcessing()
    {
        if (Wait && Timeout <= TimeSpan.Zero)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "-Timeout must be positive."), "InvalidTimeout", ErrorCategory.InvalidArgument, Timeout));
        }
    }

    protected override void ProcessRecord()
    {
        foreach (var segment in InputObject)
        {
            if (StopToken.IsCancellationRequested)
            {
                return;
            }
            string? refusal = ProbeTargets.RefusalReason(segment.DestinationIPAddress);
            if (refusal != null)
            {
                WriteError(new ErrorRecord(new ArgumentException($"The destination {segment.DestinationAddress} {refusal}: not sent."), "TargetRefused", ErrorCategory.InvalidArgument, segment));
                continue;
            }
            if (segment.IsTruncated)
            {
                WriteError(new ErrorRecord(new ArgumentException($"The segment {segment.SourceEndPoint} > {segment.DestinationEndPoint} was cut by the snap length ({segment.CapturedLength} of {segment.FrameLength} bytes captured): sent as it is, its receiver would drop it. Not sent."), "SegmentTruncated", ErrorCategory.InvalidData, segment));
                continue;
            }
            if (!ShouldProcess($"{segment.SourceEndPoint} > {segment.DestinationEndPoint}", $"Send TCP segment [{segment.FlagsText}] seq {segment.SequenceNumber}"))
            {
                continue;
            }
            TcpSegment? answer = null;
            if (!SendErrors.TrySend(this, segment, () => answer = Sender.Send(segment, Wait ? Timeout : TimeSpan.Zero, StopToken)))
            {
                continue;
            }
            if (PassThru)
            {
                WriteObject(segment);
            }
            if (Wait)
            {
                if (answer is null)
                {
                    WriteError(new ErrorRecord(new TimeoutException($"No answer from {segment.DestinationEndPoint} within {Timeout.TotalSeconds} s."), "NoAnswer", ErrorCategory.OperationTimeout, segment));
                }
                else
                {
                    WriteObject(answer);
                }
            }
        }
    }

}
