using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>
/// Trace-TcpRoute: a TCP SYN traceroute to host:port, as traceroute -T and hping3 --traceroute -S: one TcpRouteHop
/// per hop, in order, from the first router to the destination's SYN-ACK or RST, or to where the path goes silent.
/// </summary>
[Cmdlet(VerbsDiagnostic.Trace, "TcpRoute", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TcpRouteHop))]
public sealed class TraceTcpRouteCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ScanTarget> _targets = new();
    private ScanPlanner? _planner;
    private TcpRouteTracer? _tracer;

    /// <summary>"host", "host:443", "[fd00::1]:22", "host:22,443" (one trace per port); strings or objects with ComputerName from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ComputerName", "HostName", "Host", "IPAddress", "Address")]
    [ProbeTargetTransformation]
    [ValidateNotNullOrEmpty]
    public string[] Target { get; set; } = Array.Empty<string>();

    /// <summary>The destination ports, added to the target's own; 80 when neither names one (as traceroute -T).</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RemotePort")]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public string[]? Port { get; set; }

    /// <summary>The largest TTL (IPv6 hop limit) probed (default 30).</summary>
    [Parameter]
    [ValidateRange(1, 255)]
    public int MaxHops { get; set; } = 30;

    /// <summary>The first TTL probed (default 1, the first router).</summary>
    [Parameter]
    [ValidateRange(1, 255)]
    public int FirstHop { get; set; } = 1;

    /// <summary>Probes per hop, sent at once (default 3).</summary>
    [Parameter]
    [ValidateRange(1, 10)]
    public int ProbesPerHop { get; set; } = 3;

    /// <summary>How long answers are awaited after the probes are sent (a number is seconds; default 1).</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first source port (probe n uses it + n; default random).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public ushort SourcePort { get; set; }

    /// <summary>Send on this interface rather than the one the routing table picks.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CaptureDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Interface { get; set; }

    /// <summary>Trace host names' IPv4 address (A record) only.</summary>
    [Parameter]
    public SwitchParameter IPv4 { get; set; }

    /// <summary>Trace host names' IPv6 address (AAAA record) only.</summary>
    [Parameter]
    public SwitchParameter IPv6 { get; set; }

    protected override void BeginProcessing()
    {
        SendErrors.CheckProbeOptions(this, IPv4, IPv6, Timeout);
        if (FirstHop > MaxHops)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(FirstHop), FirstHop, $"-FirstHop ({FirstHop}) is beyond -MaxHops ({MaxHops})."), "InvalidHops", ErrorCategory.InvalidArgument, FirstHop));
        }
        _planner = new ScanPlanner(new ScanPlanOptions { IPv4Only = IPv4, IPv6Only = IPv6 }, new List<ScanProblem>(), _stopping.Token);
    }

    protected override void ProcessRecord()
    {
        var ports = new List<ushort>();
        foreach (string p in Port ?? Array.Empty<string>())
        {
            if (!ProbeTargets.TryParsePorts(p, ports, out string? error))
            {
                WriteError(new ErrorRecord(new ArgumentException($"-Port: {error}"), "InvalidPort", ErrorCategory.InvalidArgument, p));
                return;
            }
        }
        var problems = new List<ScanProblem>();
        foreach (string text in Target)
        {
            problems.Clear();
            bool ownPorts = ProbeTargets.TryParseTarget(text, out _, out var own, out _) && own.Count > 0;
            var target = _planner!.Read(text, ports.Count > 0 || ownPorts ? ports : new ushort[] { 80 }, problems, _stopping.Token);
            SendErrors.WriteProblems(this, problems);
            if (target is null)
            {
                continue;
            }
            if (target.Addresses != 1)
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{text}' is {ScanTarget.Number(target.Addresses)} addresses: Trace-TcpRoute traces one host (give each its own target)."),
                    "TargetNotOneHost", ErrorCategory.InvalidArgument, text));
                continue;
            }
            if (ShouldProcess($"{target.Describe()} ({text})", $"Send TCP SYN probes with TTL {FirstHop} to {MaxHops}, {ProbesPerHop} per hop, to {target.DescribePorts()}"))
            {
                _targets.Add(target);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_targets.Count == 0)
        {
            return;
        }
        try
        {
            SendErrors.RunProbes(this, () => TraceAll());
        }
        finally
        {
            _tracer?.Dispose();
            _tracer = null;
        }
    }

    private void TraceAll()
    {
        _tracer = new TcpRouteTracer(new TcpRouteOptions
        {
            MaxHops = MaxHops,
            FirstHop = FirstHop,
            ProbesPerHop = ProbesPerHop,
            Timeout = Timeout,
            SourcePort = MyInvocation.BoundParameters.ContainsKey(nameof(SourcePort)) ? SourcePort : null,
            Interface = Interface,
        });
        foreach (var target in _targets)
        {
            var address = AddressRange.ToAddress(target.Ranges[0].IsIPv6, target.Ranges[0].First);
            foreach (ushort port in target.Ports)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }
                WriteVerbose($"Tracing {address} port {port}: TTL {FirstHop} to {MaxHops}, {ProbesPerHop} probes per hop from source ports {_tracer.SourcePort}-{_tracer.SourcePort + (MaxHops - FirstHop + 1) * ProbesPerHop - 1}, {Timeout.TotalSeconds} s for answers.");
                TcpRouteTrace trace;
                try
                {
                    trace = _tracer.Trace(target.Text, address, port, WriteObject, _stopping.Token);
                }
                catch (NetworkUnreachableException e)
                {
                    WriteError(new ErrorRecord(e, "TargetUnreachable", ErrorCategory.ConnectionError, target.Text));
                    break;
                }
                if (trace.SilentFrom is int silent && !_stopping.IsCancellationRequested)
                {
                    string after = trace.Hops.Count > 1 && trace.Hops[^2].Address is { } last ? $" after hop {trace.Hops[^2].Hop} ({last})" : "";
                    WriteWarning($"{target.Text} port {port}: no answer from hop {silent} to {MaxHops}: the path goes silent{after} (a firewall dropping the probes, or routers that send no ICMP).");
                }
            }
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _tracer?.Dispose();
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
