using System;
using TcpTools;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

// Usage: Instructions <capture> [conntrack|zeek]. Tracks the capture and prints the number of connections.
var policy = args.Length > 1 && args[1] == "zeek" ? TcpTimeoutPolicy.Zeek : TcpTimeoutPolicy.Conntrack;
var tracker = new TcpTracker(new TcpTrackerOptions { TimeoutPolicy = policy });
long connections = 0;
using (var reader = CaptureFileSegmentReader.Open(args[0], null))
{
    while (reader.TryReadNext(out CapturedFrame frame, out ReadOnlySpan<byte> data, out DecodedTcp tcp))
    {
        tracker.Process(frame.UnixTimeNanoseconds, tcp, data);
        while (tracker.Output.TryDequeue(out _))
        {
            connections++;
        }
    }
}
tracker.Complete();
Console.WriteLine(connections + tracker.Output.Count);
