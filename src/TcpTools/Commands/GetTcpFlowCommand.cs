using System;
using System.Runtime.CompilerServices;
using System.Management.Automation;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Tracking;

namespace TcpTools.Commands;

/// <summary>
/// Get-TcpFlow: every TCP connection in capture files (or in TcpSegment objects from the pipeline) with its RFC 9293
/// endpoint states, Zeek conn_state and history, timing and anomaly counts. One tracker spans all the input, so a
/// connection that crosses rotated capture files stays one flow. Finished connections stream out as they finish;
/// the rest come at the end of the input.
/// </summary>
[Cmdlet(VerbsCommon.Get, "TcpFlow", DefaultParameterSetName = "Path")]
[OutputType(typeof(TcpConnectionState))]
public sealed class GetTcpFlowCommand : CaptureFileCommandBase
{
    private const string SegmentSet = "Segment";
    private const long LargeTimeStepBackNs = 10_000_000; // timestamps of several CPUs differ by microseconds
    private TcpFlowPump? _pump;
    private TcpTools.Engine.Sockets.FlowOwnerResolver? _owners;
    private bool _fileOrderWarned;

    /// <summary>TcpSegment objects to track, usually from Get-TcpSegment in the pipeline, in capture order.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SegmentSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public TcpSegment[] InputObject { get; set; } = Array.Empty<TcpSegment>();

    /// <summary>Maximum segment lifetime in seconds: TIME_WAIT lasts 2 × MSL (default 30, so 60 s as on Linux).</summary>
    [Parameter]
    [ValidateRange(0.001, 86_400)]
    public double Msl { get; set; } = TcpTrackerOptions.DefaultMsl.TotalSeconds;

    /// <summary>When idle and finished flows leave the table: Linux conntrack's per-state timeouts, or Zeek's timers.</summary>
    [Parameter]
    public TcpTimeoutPolicy TimeoutPolicy { get; set; } = TcpTimeoutPolicy.Conntrack;

    /// <summary>
    /// When a SYN or FIN moves the endpoint that receives it: Receipt (the default), when the capture shows it, as
    /// the RFC moves a receiver; Answer, only once the receiver acknowledges it in the capture.
    /// </summary>
    [Parameter]
    public TcpStateEvidence StateEvidence { get; set; } = TcpStateEvidence.Receipt;

    /// <summary>Write a TcpConnectionState each time a connection changes state (live: as it happens), instead of one per connection.</summary>
    [Parameter]
    public SwitchParameter Watch { get; set; }

    /// <summary>The most flows tracked at once; beyond it the least recently active are evicted with a warning.</summary>
    [Parameter]
    [ValidateRange(1, TcpTracker.MaxFlowsLimit)]
    public int MaxFlows { get; set; } = 1_000_000;

    /// <summary>
    /// Ports on which servers listen, to tell client from server in a connection picked up mid-stream (default: Zeek's
    /// likely_server_ports with its default scripts; an empty list for none).
    /// </summary>
    [Parameter]
    [AllowEmptyCollection]
    [ValidateNotNull]
    [ServicePort]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public ushort[] ServerPort { get; set; } = Array.Empty<ushort>();

    /// <summary>Drop segments whose TCP checksum is wrong, as Zeek does by default ('C' in History, counted with -Verbose).</summary>
    [Parameter]
    public SwitchParameter ValidateChecksum { get; set; }

    /// <summary>Write only connections with an endpoint in one of these states (with -Watch: changes that leave one in them).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public TcpState[]? State { get; set; }

    /// <summary>
    /// Live capture: skip finding the processes of this host behind the connections (ClientOwningProcess,
    /// ServerOwningProcess and the rest stay empty).
    /// </summary>
    [Parameter(ParameterSetName = InterfaceSet)]
    public SwitchParameter NoOwner { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (IsLive && !NoOwner && OperatingSystem.IsLinux())
        {
            // Started here, on the pipeline's thread: it looks up sockets in this thread's network namespace.
            _owners = new TcpTools.Engine.Sockets.FlowOwnerResolver();
        }
        _pump = new TcpFlowPump(new TcpTrackerOptions
        {
            Owners = _owners,
            Msl = TimeSpan.FromSeconds(Msl),
            TimeoutPolicy = TimeoutPolicy,
            StateEvidence = StateEvidence,
            MaxFlows = MaxFlows,
            EmitStateChanges = Watch,
            ServerPorts = MyInvocation.BoundParameters.ContainsKey(nameof(ServerPort)) ? new ServerPorts(ServerPort) : ServerPorts.Default,
            ValidateChecksums = ValidateChecksum,
        });
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != SegmentSet)
        {
            base.ProcessRecord();
            return;
        }
        foreach (var segment in InputObject)
        {
            if (StopToken.IsCancellationRequested)
            {
                return;
            }
            _pump!.Feed(segment);
            Drain();
        }
    }

    /// <summary>Files are tracked in the time order of their first frames, whatever order they are given in.</summary>
    protected override bool ReadsFilesInTimeOrder => true;

    protected override void ProcessFile(CaptureFileSegmentReader reader)
    {
        var pump = _pump!;
        TcpPumpResult result;
        while ((result = pump.Pump(reader, StopToken)) != TcpPumpResult.End)
        {
            if (result == TcpPumpResult.FileOverlap)
            {
                // Files are read in the order of their first frames, so one that begins before the input before it
                // ended overlaps it.
                _fileOrderWarned = true;
                WriteWarning($"'{reader.Path}' overlaps the capture before it by {TimeSpan.FromTicks(pump.LastFileOverlapNs / 100)}: the same file twice, or captures of one time span at two points? Its segments come after later ones: its connections keep their own times, but their timeouts can run late, and a connection seen in both files shows twice. Merge overlapping captures into one first (mergecap).");
            }
            Drain();
            if (result == TcpPumpResult.Progress)
            {
                ReportProgress(reader);
            }
        }
    }

    protected override void ProcessLive(LiveCapture capture)
    {
        var pump = _pump!;
        while (pump.Pump(capture, Limits, StopToken) != TcpPumpResult.End)
        {
            Drain();
        }
    }

    protected override void EndProcessing()
    {
        base.EndProcessing();
        var tracker = _pump!.Tracker;
        tracker.Complete();
        Drain();
        var stats = tracker.Statistics;
        WriteVerbose($"Tracker: {stats}.");
        if (_owners is not null)
        {
            WriteVerbose($"Owners: {_owners.Queued} new connections looked up, {_owners.Found} with a process of this host, {_owners.NotFound} local but gone before they could be found{(_owners.Skipped > 0 ? $", {_owners.Skipped} not looked up (too many new connections at once)" : "")}.");
        }
        if (stats.FlowsEvicted > 0 || stats.FinishedFlowsEvicted > 0)
        {
            var parts = new System.Collections.Generic.List<string>();
            if (stats.FlowsEvicted > 0)
            {
                parts.Add($"{stats.FlowsEvicted} times an open connection was evicted before it finished (written with CloseReason Evicted; its next segment starts a new row, picked up mid-stream)");
            }
            if (stats.FinishedFlowsEvicted > 0)
            {
                parts.Add($"{stats.FinishedFlowsEvicted} finished connections left before their TIME_WAIT or linger ended (written with their close reason and the states they had; a late segment of one starts a new row)");
            }
            WriteWarning($"The flow table was full ({MaxFlows} flows): {string.Join("; ", parts)}. Raise -MaxFlows to keep them.");
        }
        if (stats.LargestTimeStepBack > LargeTimeStepBackNs && !IsLive && !_fileOrderWarned)
        {
            // A few microseconds back is normal when several CPUs timestamp a capture; milliseconds are not.
            WriteWarning($"{stats.OutOfTimeOrder} segments were earlier than segments before them, by up to {TimeSpan.FromTicks(stats.LargestTimeStepBack / 100)}: were captures merged without sorting, or the same segments given twice? Late segments keep their connections' own times, but their timeouts can run late, and a connection given twice shows twice. Merge captures with mergecap, or pipe segments in time order.");
        }
    }

    protected override void DisposeMore() => _owners?.Dispose();

    /// <summary>
    /// With owners, libpcap hands packets over within 10 ms rather than 100 on a quiet link, so a connection's SYN
    /// reaches the lookup while its socket still exists; on a busy link its blocks fill sooner anyway.
    /// </summary>
    protected override int LiveReadTimeout => _owners is null ? base.LiveReadTimeout : OwnerReadTimeoutMs;

    private const int OwnerReadTimeoutMs = 2;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per flow: optimized at first call (see TcpTracker.Process)
    private void Drain()
    {
        var pump = _pump!;
        var states = State;
        while (pump.TryTake(out var flow))
        {
            // -State asks for endpoints, not the connection's one word: a server in CLOSE_WAIT whose client is in
            // FIN_WAIT_2 is a CloseWait connection to the person who asks. (State is always one of the two.)
            if (states is null || Array.IndexOf(states, flow.ClientState) >= 0 || Array.IndexOf(states, flow.ServerState) >= 0)
            {
                WriteObject(flow);
            }
        }
    }
}
