using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>
/// Send-TcpSyn: half-open SYN probes, as nmap -sS sends them, to one port of one host or to every port of whole
/// networks; one TcpProbeResult (or, with -Quiet, one $true/$false per target) per address and port, streamed as
/// each is decided. Targets are planned by the engine's ScanPlanner and probed by its SynScanner.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "TcpSyn", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = TargetSet)]
[OutputType(typeof(TcpProbeResult))]
[OutputType(typeof(bool))]
public sealed class SendTcpSynCommand : PSCmdlet, IDisposable
{
    private const string TargetSet = "Target";
    private const string FileSet = "TargetFile";
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ScanTarget> _offered = new();
    private ScanPlanner? _planner;
    private SynScanner? _scanner;
    private readonly System.Diagnostics.Stopwatch _sinceStart = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>Hosts, addresses, CIDR blocks or ranges with ports: "web01:443", "198.18.0.0/24:22,80", "[fd00:198:18::/120]:443", "198.18.0.1-40"; strings or objects with ComputerName from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TargetSet)]
    [Alias("ComputerName", "HostName", "Host", "IPAddress", "Address")]
    [ProbeTargetTransformation]
    [ValidateNotNullOrEmpty]
    public string[] Target { get; set; } = Array.Empty<string>();

    /// <summary>Files of targets, one or more per line separated by spaces, '#' starting a comment (as nmap -iL reads them).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string[] TargetFile { get; set; } = Array.Empty<string>();

    /// <summary>Ports to probe on every target, as numbers or lists and ranges ("22,80,8000-8100"); added to the target's own.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RemotePort")]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public string[]? Port { get; set; }

    /// <summary>Addresses, blocks, ranges or names never probed, whatever the targets say (as nmap --exclude).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Exclude { get; set; }

    /// <summary>Allows targets larger than an IPv4 /8 or an IPv6 /112.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The longest wait for an answer before sending the SYN again (adaptive below it; a number is seconds; default 1).</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times an unanswered SYN is sent again before the port counts as Filtered (default 1, and 2 more once the scan has seen losses).</summary>
    [Parameter]
    [ValidateRange(0, 10)]
    public int Retries { get; set; } = 1;

    /// <summary>At most this many SYNs per second, retransmissions included: the cap of the adaptive rate (default 1,000,000).</summary>
    [Parameter]
    [ValidateRange(1, 10_000_000)]
    public int Rate { get; set; } = SynScanOptions.DefaultMaxRate;

    /// <summary>At least this many SYNs per second: the adaptive rate never backs off below it (default 100). -MinRate equal to -Rate sends at that one rate.</summary>
    [Parameter]
    [ValidateRange(1, 10_000_000)]
    public int MinRate { get; set; } = 100;

    /// <summary>The source port of the probes (default: random, 40000-59999).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public ushort SourcePort { get; set; }

    /// <summary>Send on this interface rather than the one the routing table picks.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CaptureDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Interface { get; set; }

    /// <summary>Probe host names' IPv4 address (A record) only.</summary>
    [Parameter]
    public SwitchParameter IPv4 { get; set; }

    /// <summary>Probe host names' IPv6 address (AAAA record) only.</summary>
    [Parameter]
    public SwitchParameter IPv6 { get; set; }

    /// <summary>Write only the probes with these outcomes (as nmap --open does for Open); all by default. The -Verbose summary counts every outcome.</summary>
    [Parameter]
    public TcpProbeStatus[]? Status { get; set; }

    /// <summary>Write one $true or $false per target instead of TcpProbeResult objects: $true when all its ports are open.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void BeginProcessing()
    {
        SendErrors.CheckProbeOptions(this, IPv4, IPv6, Timeout);
        if (MinRate > Rate)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(MinRate), MinRate, $"-MinRate ({MinRate}) is above -Rate ({Rate}): the floor must not be above the cap."), "InvalidRate", ErrorCategory.InvalidArgument, MinRate));
        }
        var problems = new List<ScanProblem>();
        _planner = new ScanPlanner(new ScanPlanOptions { IPv4Only = IPv4, IPv6Only = IPv6, Exclude = Exclude ?? Array.Empty<string>(), Force = Force }, problems, _stopping.Token);
        if (problems.Find(p => !p.IsWarning) is { } bad)
        {
            ThrowTerminatingError(SendErrors.Error(bad));
        }
        if (ParameterSetName == FileSet)
        {
            foreach (string file in TargetFile)
            {
                string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(file);
                string[] lines;
                try
                {
                    lines = File.ReadAllLines(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    WriteError(new ErrorRecord(e, "TargetFileUnreadable", e is FileNotFoundException or DirectoryNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.ReadError, file));
                    continue;
                }
                Offer(lines.SelectMany(l => (l.IndexOf('#', StringComparison.Ordinal) is int h and >= 0 ? l[..h] : l).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
            }
        }
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == TargetSet)
        {
            Offer(Target);
        }
    }

    protected override void EndProcessing()
    {
        var problems = new List<ScanProblem>();
        if (_offered.Count > 1 && ScanPlan.Create(_offered) is { } whole
            && !ShouldProcess($"{_offered.Count} targets: {ScanTarget.Number(whole.Addresses)} addresses", $"Send {whole.Count:N0} TCP SYN probes, each address and port once"))
        {
            return;
        }
        var plan = _planner!.Build(problems);
        SendErrors.WriteProblems(this, problems);
        if (plan is null)
        {
            return;
        }
        long plannedMs = _sinceStart.ElapsedMilliseconds;
        bool explicitRetries = MyInvocation.BoundParameters.ContainsKey(nameof(Retries));
        var output = new ProbeOutput(this, plan, Quiet, Status);
        try
        {
            SendErrors.RunProbes(this, () => Scan(plan, output, explicitRetries, plannedMs));
        }
        finally
        {
            _scanner?.Dispose();
            _scanner = null;
        }
    }

    private void Scan(ScanPlan plan, ProbeOutput output, bool explicitRetries, long plannedMs)
    {
        _scanner = new SynScanner(new SynScanOptions
        {
            Timeout = Timeout,
            Retries = Retries,
            RetriesOnLoss = explicitRetries ? 0 : 2,
            Rate = Rate,
            MinRate = MinRate,
            AdaptiveRate = MinRate < Rate,
            SourcePort = MyInvocation.BoundParameters.ContainsKey(nameof(SourcePort)) ? SourcePort : null,
            Interface = Interface,
            Report = output.Report,
        });
        string rateText = MinRate < Rate ? $"adaptive rate from 20,000 SYNs/s up to {Rate:N0} (floor {MinRate:N0})" : $"{Rate:N0} SYNs/s";
        WriteVerbose($"Probing {plan.Count:N0} ports on {ScanTarget.Number(plan.Addresses)} addresses in random order from source port {_scanner.SourcePort}, {rateText}, {Timeout.TotalSeconds} s timeout, {Retries} retries (targets planned in {plannedMs} ms).");
        int activity = 4242;
        bool showProgress = plan.Count > 100;
        // A single host that cannot be reached is an error; in a block or range, hosts that do not answer ARP
        // are the usual case (nmap: "host down"), counted in one warning per target at the end.
        var many = plan.Targets.Where(t => t.Addresses > 1).Select(t => t.Text).ToHashSet();
        var down = new Dictionary<string, int>();
        var summary = _scanner.Run(plan, output.Write, (request, hop, reason) =>
        {
            if (many.Contains(request.Target) && hop.Equals(request.Address))
            {
                down[request.Target] = down.GetValueOrDefault(request.Target) + 1;
                return;
            }
            WriteError(new ErrorRecord(new NetworkUnreachableException(hop, reason), "TargetUnreachable", ErrorCategory.ConnectionError, request.Target));
        },
            _stopping.Token, showProgress ? (done, total) => WriteProgress(new ProgressRecord(activity, "Send-TcpSyn", $"{done:N0} of {total:N0} probes decided")
            {
                PercentComplete = total == 0 ? 100 : (int)(done * 100 / total),
            }) : null, output.Count);
        if (showProgress)
        {
            WriteProgress(new ProgressRecord(activity, "Send-TcpSyn", "Done") { RecordType = ProgressRecordType.Completed });
        }
        output.Finish();
        foreach (var w in summary.Warnings)
        {
            WriteWarning(w.Message);
        }
        foreach (var (target, count) in down)
        {
            WriteWarning($"{target}: {count:N0} {(count == 1 ? "address" : "addresses")} did not answer ARP or neighbour solicitation (down, or not on the link): not probed.");
        }
        WriteVerbose($"{summary.SynsSent:N0} SYNs sent for {plan.Count:N0} probes in {summary.Elapsed.TotalSeconds:F2} s: {output.Counts[0]} open, {output.Counts[1]} closed, {output.Counts[2]} filtered"
            + (summary.Unreachable > 0 ? $", {summary.Unreachable} next hops unreachable" : "") + ".");
        WriteVerbose($"Rate: peak {summary.PeakRate:N0} SYNs/s, {summary.FinalRate:N0} at the end, {summary.Backoffs} back-offs on {summary.LossSigns} signs of loss (late answers, {summary.CaptureDrops} answers libpcap dropped); {summary.NextHops} next hops"
                + (summary.Retries > Retries ? $"; retries raised to {summary.Retries} by the loss seen." : "."));
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _scanner?.Dispose();
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads each target (errors and warnings written per target) and, when the user agrees, adds it to the plan.</summary>
    private void Offer(IEnumerable<string> targets)
    {
        var extraPorts = new List<ushort>();
        foreach (string p in Port ?? Array.Empty<string>())
        {
            if (!ProbeTargets.TryParsePorts(p, extraPorts, out string? error))
            {
                WriteError(new ErrorRecord(new ArgumentException($"-Port: {error}"), "InvalidPort", ErrorCategory.InvalidArgument, p));
                return;
            }
        }
        var problems = new List<ScanProblem>();
        foreach (string text in targets)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            problems.Clear();
            var target = _planner!.Read(text, extraPorts, problems, _stopping.Token);
            SendErrors.WriteProblems(this, problems);
            if (target is null)
            {
                continue;
            }
            _offered.Add(target);
            if (ShouldProcess(target.Describe() + (target.Text == target.Describe() ? "" : $" ({target.Text})"), $"Send TCP SYN probes to {target.DescribePorts()}"))
            {
                _planner.Accept(target);
            }
        }
    }
}

/// <summary>
/// Lets -Target take what the pipeline carries: IPAddress values, TcpProbeResult objects (their address and port),
/// and objects with a ComputerName, HostName, Host, IPAddress or Address property, instead of their ToString().
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ProbeTargetTransformationAttribute : ArgumentTransformationAttribute
{
    private static readonly string[] s_hostProperties = { "ComputerName", "HostName", "Host", "IPAddress", "Address" };

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (inputData is object[] many)
        {
            return many.Select(One).ToArray();
        }
        return One(inputData);
    }

    private static object One(object item)
    {
        object value = item is PSObject ps ? ps.BaseObject : item;
        switch (value)
        {
            case string:
                return value;
            case IPAddress ip:
                return ip.ToString();
            case TcpProbeResult r:
                return r.EndPoint;
        }
        var wrapped = item as PSObject ?? PSObject.AsPSObject(item);
        foreach (string name in s_hostProperties)
        {
            if (wrapped.Properties[name]?.Value is { } host)
            {
                return (host is PSObject inner ? inner.BaseObject : host).ToString() ?? "";
            }
        }
        return item;
    }
}
