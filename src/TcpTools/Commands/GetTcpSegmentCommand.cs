using System.Runtime.CompilerServices;
using System.Management.Automation;
using TcpTools.Engine.Capture;

namespace TcpTools.Commands;

/// <summary>Get-TcpSegment: the TCP segments of pcap and pcapng files or live interfaces, as TcpSegment objects, streamed.</summary>
[Cmdlet(VerbsCommon.Get, "TcpSegment", DefaultParameterSetName = "Path")]
[OutputType(typeof(TcpSegment))]
public sealed class GetTcpSegmentCommand : CaptureFileCommandBase
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment: optimized at first call (see TcpTracker.Process)
    protected override void ProcessFile(CaptureFileSegmentReader reader)
    {
        var stopping = StopToken;
        int sinceProgress = 0;
        while (!stopping.IsCancellationRequested && reader.TryReadNext(out TcpSegment? segment))
        {
            WriteObject(segment);
            if (++sinceProgress == 4096)
            {
                sinceProgress = 0;
                ReportProgress(reader);
            }
        }
    }

    protected override void ProcessLive(LiveCapture capture)
    {
        long segments = 0;
        while (!LiveDone(segments))
        {
            if (capture.TryReadNext(out TcpSegment? segment, LiveWait))
            {
                WriteObject(segment);
                segments++;
            }
        }
    }
}
