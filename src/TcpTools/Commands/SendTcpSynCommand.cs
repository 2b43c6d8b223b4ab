using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>
/// Send-TcpSyn: half-open SYN probes, as nmap -sS sends them, to one port or thousands; one TcpProbeResult (or,
/// with -Quiet, one $true/$false per target) per address and port, streamed as each is decided.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "TcpSyn", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TcpProbeResult))]
[OutputType(typeof(bool))]
public sealed class SendTcpSynCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<ProbeRequest> _requests = new();
    private SynScanner? _scanner;
    private readonly System.Diagnostics.Stopwatch _sinceStart = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>"host", "host:80", "host:80,443,8000-8100", "[fd00::1]:443"; strings or objects with ComputerName from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ComputerName", "HostName", "Host", "IPAddress", "Address")]
    [ProbeTargetTransformation]
    [ValidateNotNullOrEmpty]
    public string[] Target { get; set; } = Array.Empty<string>();

    /// <summary>Ports to probe on every target, as numbers or lists and ranges ("22,80,8000-8100"); added to the target's own.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RemotePort")]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public string[]? Port { get; set; }

    /// <summary>The longest wait for an answer before sending the SYN again (adaptive below it; a number is seconds; default 1).</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times an unanswered SYN is sent again before the port counts as Filtered (default 1).</summary>
    [Parameter]
    [ValidateRange(0, 10)]
    public int Retries { get; set; } = 1;

    /// <summary>At most this many SYNs per second, retransmissions included (default 10000).</summary>
    [Parameter]
    [ValidateRange(1, 10_000_000)]
    public int Rate { get; set; } = 10_000;

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
        if (IPv4 && IPv6)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-IPv4 and -IPv6 exclude each other: give one, or neither to probe the first address a name resolves to (IPv4 first)."), "ConflictingAddressFamilies", ErrorCategory.InvalidArgument, null));
        }
        if (Timeout <= TimeSpan.Zero)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "-Timeout must be positive."), "InvalidTimeout", ErrorCategory.InvalidArgument, Timeout));
        }
    }

    protected override void ProcessRecord()
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
        foreach (string text in Target)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            if (!ProbeTargets.TryParse(text, out string host, out var ports, out string? error))
            {
                WriteError(new ErrorRecord(new ArgumentException(error), "InvalidTarget", ErrorCategory.InvalidArgument, text));
                continue;
            }
            ports.AddRange(extraPorts);
            if (ports.Count == 0)
            {
                string hint = ushort.TryParse(text, out _) ? " (PowerShell splits an unquoted 'host:80,443' at the comma: quote it)" : "";
                WriteError(new ErrorRecord(new ArgumentException($"'{text}' names no port: write host:port, or give -Port{hint}."), "TargetHasNoPort", ErrorCategory.InvalidArgument, text));
                continue;
            }
            IPAddress? address = Resolve(text, host);
            if (address is null)
            {
                continue;
            }
            string? refusal = ProbeTargets.RefusalReason(address);
            if (refusal != null)
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{text}' ({address}) {refusal}: Send-TcpSyn probes one host at a time."), "TargetRefused", ErrorCategory.InvalidArgument, text));
                continue;
            }
            var distinct = ports.Distinct().ToList();
            string portText = distinct.Count == 1 ? "port " + distinct[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{distinct.Count} ports";
            if (!ShouldProcess($"{address} ({text})", $"Send TCP SYN probes to {portText}"))
            {
                continue;
            }
            _requests.AddRange(distinct.Select(p => new ProbeRequest(text, address, p)));
        }
    }

    protected override void EndProcessing()
    {
        if (_requests.Count == 0)
        {
            return;
        }
        long parsedMs = _sinceStart.ElapsedMilliseconds;
        try
        {
            _scanner = new SynScanner(new SynScanOptions
            {
                Timeout = Timeout,
                Retries = Retries,
                Rate = Rate,
                SourcePort = MyInvocation.BoundParameters.ContainsKey(nameof(SourcePort)) ? SourcePort : null,
                Interface = Interface,
            });
            var ready = new List<ProbeRequest>(_requests.Count);
            foreach (var group in _requests.GroupBy(r => r.Address))
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }
                try
                {
                    _scanner.Prepare(group.Key);
                    ready.AddRange(group);
                }
                catch (NetworkUnreachableException e)
                {
                    foreach (string target in group.Select(r => r.Target).Distinct())
                    {
                        WriteError(new ErrorRecord(e, "TargetUnreachable", ErrorCategory.ConnectionError, target));
                    }
                }
            }
            WriteVerbose($"Probing {ready.Count} ports on {ready.Select(r => r.Address).Distinct().Count()} addresses from source port {_scanner.SourcePort}, at most {Rate} SYNs/s, {Timeout.TotalSeconds} s timeout, {Retries} retries (targets parsed in {parsedMs} ms, routes, neighbours and capture ready in {_sinceStart.ElapsedMilliseconds - parsedMs} ms).");
            int activity = 4242;
            bool showProgress = ready.Count > 100;
            var counts = new int[3];
            var started = System.Diagnostics.Stopwatch.StartNew();
            bool[] wanted = { true, true, true };
            if (Status is { Length: > 0 })
            {
                wanted = new bool[3];
                foreach (var s in Status)
                {
                    wanted[(int)s] = true;
                }
            }
            // -Quiet: one answer per target as given ('web01:80,443' is one target): $true when every port is open,
            // written as soon as the target's last probe is decided.
            // A port two targets share is probed once; its result counts for both.
            var perTarget = new Dictionary<string, (int Left, bool AllOpen)>();
            var targetsOf = new Dictionary<(IPAddress, ushort), List<string>>();
            foreach (var r in ready.DistinctBy(r => (r.Target, r.Address, r.Port)))
            {
                perTarget[r.Target] = perTarget.TryGetValue(r.Target, out var t) ? (t.Left + 1, true) : (1, true);
                if (!targetsOf.TryGetValue((r.Address, r.Port), out var list))
                {
                    targetsOf[(r.Address, r.Port)] = list = new List<string>();
                }
                list.Add(r.Target);
            }
            _scanner.Run(ready, result =>
            {
                counts[(int)result.Status]++;
                if (Quiet)
                {
                    foreach (string target in targetsOf[(result.IPAddress, result.Port)])
                    {
                        var (left, allOpen) = perTarget[target];
                        perTarget[target] = (left - 1, allOpen && result.IsOpen);
                        if (left == 1)
                        {
                            WriteObject(allOpen && result.IsOpen);
                        }
                    }
                    return;
                }
                if (wanted[(int)result.Status])
                {
                    WriteObject(result);
                }
            }, _stopping.Token, showProgress ? (done, total) => WriteProgress(new ProgressRecord(activity, "Send-TcpSyn", $"{done} of {total} probes decided")
            {
                PercentComplete = total == 0 ? 100 : done * 100 / total,
            }) : null);
            if (showProgress)
            {
                WriteProgress(new ProgressRecord(activity, "Send-TcpSyn", "Done") { RecordType = ProgressRecordType.Completed });
            }
            WriteVerbose($"{_scanner.SynsSent} SYNs sent for {ready.Count} probes in {started.Elapsed.TotalSeconds:F2} s: {counts[0]} open, {counts[1]} closed, {counts[2]} filtered.");
        }
        catch (CaptureDeviceException e)
        {
            ThrowTerminatingError(CaptureFileCommandBase.DeviceError(e));
        }
        catch (PcapUnavailableException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "LibPcapNotInstalled", ErrorCategory.NotInstalled, null));
        }
        finally
        {
            _scanner?.Dispose();
            _scanner = null;
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _scanner?.Dispose();
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private IPAddress? Resolve(string text, string host)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            if ((IPv4 && literal.AddressFamily != AddressFamily.InterNetwork) || (IPv6 && literal.AddressFamily != AddressFamily.InterNetworkV6))
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{text}' is an {(literal.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address, but -{(IPv4 ? "IPv4" : "IPv6")} was given."), "AddressFamilyMismatch", ErrorCategory.InvalidArgument, text));
                return null;
            }
            return literal;
        }
        IPAddress[] addresses;
        try
        {
            var lookup = Dns.GetHostAddressesAsync(host, IPv4 ? AddressFamily.InterNetwork : IPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.Unspecified, _stopping.Token);
            if (!lookup.Wait(TimeSpan.FromSeconds(10)))
            {
                WriteError(new ErrorRecord(new TimeoutException($"Resolving '{host}' took more than 10 seconds."), "TargetNotResolved", ErrorCategory.ObjectNotFound, text));
                return null;
            }
            addresses = lookup.Result;
        }
        catch (AggregateException e) when (e.InnerException is SocketException or OperationCanceledException)
        {
            WriteError(new ErrorRecord(e.InnerException!, "TargetNotResolved", ErrorCategory.ObjectNotFound, text)
            {
                ErrorDetails = new ErrorDetails($"Cannot resolve '{host}': {e.InnerException!.Message}"),
            });
            return null;
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPv6)
            ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6 && !IPv4);
        if (chosen is null)
        {
            WriteError(new ErrorRecord(new SocketException((int)SocketError.HostNotFound), "TargetNotResolved", ErrorCategory.ObjectNotFound, text)
            {
                ErrorDetails = new ErrorDetails($"'{host}' has no {(IPv4 ? "IPv4 (A) address" : IPv6 ? "IPv6 (AAAA) address" : "address")}."),
            });
        }
        return chosen;
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
