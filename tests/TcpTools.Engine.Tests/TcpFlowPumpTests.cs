using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>The engine pump: the one read → Process → hand-out loop, for files, segments and the live clock.</summary>
public class TcpFlowPumpTests
{
    private static string Sample(string name) => Path.Combine(TestData.Root, "samples", name);

    /// <summary>A time source the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;

        public override long GetTimestamp() => Now.UtcTicks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }

    private static List<TcpSegment> Segments(string path)
    {
        var list = new List<TcpSegment>();
        using var reader = CaptureFileSegmentReader.Open(path, null);
        while (reader.TryReadNext(out TcpSegment? s))
        {
            list.Add(s);
        }
        return list;
    }

    private static string Key(TcpConnectionState f) => $"{f.ClientAddress}:{f.ClientPort}>{f.ServerAddress}:{f.ServerPort} {f.ClientState}/{f.ServerState} {f.CloseReason} {f.History} {f.Packets}";

    [Fact]
    public void A_file_and_its_segments_give_the_same_flows_through_the_pump()
    {
        string web = Sample("web.pcapng");
        var fromFile = new TcpFlowPump().Track(web).Select(Key).ToList();
        var fromSegments = new TcpFlowPump().Track(Segments(web)).Select(Key).ToList();
        Assert.NotEmpty(fromFile);
        Assert.Equal(fromFile, fromSegments);
        Assert.Contains(fromFile, k => k.Contains(" TimeWait/Closed Fin "));
    }

    [Fact]
    public void Progress_comes_every_interval_of_segments_and_the_count_is_exact()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tt-pump-{Environment.ProcessId}.pcap");
        try
        {
            // 10,000 copies of one capture's frames, a millisecond apart: 2 progress results, every segment counted.
            var frames = new List<(LinkType Link, byte[] Data)>();
            using (var reader = CaptureFileReader.Open(Path.Combine(TestData.Captures, "eth-ipv4.pcap")))
            {
                while (reader.TryReadNext(out CapturedFrame f, out ReadOnlySpan<byte> d))
                {
                    frames.Add((f.LinkType, d.ToArray()));
                }
            }
            const int total = 10_000;
            using (var writer = CaptureFileWriter.Open(path, CaptureFileFormat.Pcap, append: false))
            {
                for (int i = 0; i < total; i++)
                {
                    var (link, data) = frames[i % frames.Count];
                    writer.Write(1_700_000_000_000_000_000 + i * 1_000_000L, link, null, data, data.Length);
                }
            }
            var pump = new TcpFlowPump();
            int progress = 0;
            using (var reader = CaptureFileSegmentReader.Open(path, null))
            {
                TcpPumpResult r;
                while ((r = pump.Pump(reader)) != TcpPumpResult.End)
                {
                    progress += r == TcpPumpResult.Progress ? 1 : 0;
                    while (pump.TryTake(out _))
                    {
                    }
                }
            }
            Assert.Equal(total / TcpFlowPump.ProgressInterval, progress);
            Assert.Equal(total, pump.Segments);
            Assert.Equal(total, pump.Tracker.Statistics.Segments);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_same_file_twice_is_told_as_an_overlap_once_at_its_first_segment()
    {
        string web = Sample("web.pcapng");
        var pump = new TcpFlowPump();
        var results = new List<TcpPumpResult>();
        for (int pass = 0; pass < 2; pass++)
        {
            using var reader = CaptureFileSegmentReader.Open(web, null);
            TcpPumpResult r;
            while ((r = pump.Pump(reader)) != TcpPumpResult.End)
            {
                results.Add(r);
                while (pump.TryTake(out _))
                {
                }
            }
        }
        Assert.Single(results, r => r == TcpPumpResult.FileOverlap);
        var firstFrames = Segments(web);
        long span = firstFrames[^1].UnixTimeNanoseconds - firstFrames[0].UnixTimeNanoseconds;
        Assert.Equal(span, pump.LastFileOverlapNs);
    }

    [Fact]
    public void A_cancelled_pump_reads_nothing_and_the_track_of_a_cancelled_file_is_not_completed()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var pump = new TcpFlowPump();
        using (var reader = CaptureFileSegmentReader.Open(Sample("web.pcapng"), null))
        {
            Assert.Equal(TcpPumpResult.End, pump.Pump(reader, cancelled.Token));
        }
        Assert.Equal(0, pump.Segments);
        Assert.Empty(pump.Track(Sample("web.pcapng"), cancellation: cancelled.Token));
    }

    [Fact]
    public void Between_live_segments_the_clock_runs_on_the_wall_clock_and_time_wait_ends_on_time()
    {
        // The sample's two connections as if they had just been captured live, without any further segment: the reset
        // one leaves the table after conntrack's 10 s linger, the one in TIME_WAIT 2 × MSL (60 s) after its last
        // segment, 0.53 s before the reset, each by the wall clock less a second.
        var segments = Segments(Sample("tcp-session.pcap"));
        var time = new ManualTime { Now = DateTimeOffset.FromUnixTimeMilliseconds(segments[^1].UnixTimeNanoseconds / 1_000_000) };
        var pump = new TcpFlowPump(new TcpTrackerOptions { Msl = TimeSpan.FromSeconds(30) }, time);
        foreach (var s in segments)
        {
            pump.Feed(s);
        }
        Assert.False(pump.TryTake(out _));
        Assert.True(pump.Tick()); // the wall clock less a second: nothing is due yet
        Assert.False(pump.Tick()); // at most once a second
        Assert.False(pump.TryTake(out _));
        time.Now += TimeSpan.FromSeconds(60); // TIME_WAIT's end is 59.47 s away on the wall clock, 60.47 s on the lagging one
        Assert.True(pump.Tick());
        Assert.True(pump.TryTake(out var reset));
        Assert.Equal((TcpState.Closed, TcpState.Closed, TcpCloseReason.Reset), (reset.ClientState, reset.ServerState, reset.CloseReason));
        Assert.False(pump.TryTake(out _));
        time.Now += TimeSpan.FromSeconds(0.4);
        Assert.False(pump.Tick()); // less than a second since the last tick
        time.Now += TimeSpan.FromSeconds(1.1);
        Assert.True(pump.Tick());
        Assert.True(pump.TryTake(out var flow));
        Assert.Equal((TcpState.Closed, TcpState.Closed, TcpCloseReason.Fin), (flow.ClientState, flow.ServerState, flow.CloseReason));
        Assert.Equal(0, pump.Tracker.FlowCount);
    }

    [Fact]
    public void Live_limits_end_after_the_count_or_the_duration_and_shorten_the_last_wait()
    {
        var time = new ManualTime();
        var byCount = new LiveLimits(5, TimeSpan.Zero, time);
        Assert.False(byCount.Done(4));
        Assert.True(byCount.Done(5));
        Assert.Equal(LiveLimits.MaxWaitMilliseconds, byCount.WaitMilliseconds);

        var byTime = new LiveLimits(0, TimeSpan.FromSeconds(2), time);
        Assert.False(byTime.Done(1_000_000));
        time.Now += TimeSpan.FromSeconds(1.95);
        Assert.Equal(50, byTime.WaitMilliseconds);
        time.Now += TimeSpan.FromSeconds(0.05);
        Assert.True(byTime.Done(0));
        Assert.Equal(0, byTime.WaitMilliseconds);

        Assert.Throws<ArgumentOutOfRangeException>(() => new LiveLimits(-1, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LiveLimits(0, TimeSpan.FromSeconds(-1)));
    }
}
