using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using TcpTools.Engine.Probing;
using TcpTools.Engine.Sockets;

namespace TcpTools.Commands;

/// <summary>
/// Wait-TcpState: blocks until this host's sockets that match the filters reach a state (-State: one of them is in
/// one of these), or leave one (-NotState: none of them is in any of these), and writes them; on timeout, a
/// non-terminating error naming the states they were in. With -Quiet, $true or $false: the Pester primitive.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "TcpState", DefaultParameterSetName = LocalSet)]
[OutputType(typeof(TcpSocket), typeof(bool), ParameterSetName = new[] { LocalSet })]
[OutputType(typeof(TcpConnectionState), typeof(bool), ParameterSetName = new[] { InterfaceSet })]
public sealed class WaitTcpStateCommand : PSCmdlet, IDisposable
{
    private const int SocketsNamedInError = 10;
    private const string LocalSet = "Local";
    private const string InterfaceSet = "Interface";
    private const int LiveReadTimeoutMs = 10; // a state change reaches the condition within ~10 ms on a quiet link
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Return once a matching socket is in one of these states.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public TcpState[]? State { get; set; }

    /// <summary>Return once no matching socket is in any of these states (at once when none matches at all).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public TcpState[]? NotState { get; set; }

    /// <summary>Only sockets with this port on either side (local or remote).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ServicePort]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public ushort[]? Port { get; set; }

    /// <summary>Only sockets of connections to this server: host:port (or a host for any port), on either side; a listener on 0.0.0.0 or :: with that port counts.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Server { get; set; }

    /// <summary>Only sockets of connections from this client: host:port, or a host for any of its ports.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Client { get; set; }

    /// <summary>Only sockets on one of these local ports.</summary>
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    [ServicePort]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public ushort[]? LocalPort { get; set; }

    /// <summary>Only sockets whose peer's port is one of these.</summary>
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    [ServicePort]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public ushort[]? RemotePort { get; set; }

    /// <summary>Only sockets held by one of these processes.</summary>
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public int[]? OwningProcess { get; set; }

    /// <summary>
    /// Wait on what a live capture on these interfaces sees (the connections Get-TcpFlow -Interface -Watch follows),
    /// instead of this host's socket table.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = InterfaceSet)]
    [ArgumentCompleter(typeof(CaptureDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Interface { get; set; }

    /// <summary>Live: a BPF filter for the capture, in tcpdump syntax.</summary>
    [Parameter(ParameterSetName = InterfaceSet)]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>How long to wait, in seconds or as a TimeSpan (default 30; 0 checks once).</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Write $true when the state was reached and $false on timeout, instead of sockets and an error.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void BeginProcessing()
    {
        if (State is null && NotState is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give -State (wait for a state), -NotState (wait for one to go) or both."), "NoStateGiven", ErrorCategory.InvalidArgument, null));
        }
        if (Timeout < TimeSpan.Zero)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(Timeout), "-Timeout cannot be negative."), "NegativeTimeout", ErrorCategory.InvalidArgument, Timeout));
        }
    }

    protected override void ProcessRecord()
    {
        if (!TryEndpoints(Server, nameof(Server), out var servers) || !TryEndpoints(Client, nameof(Client), out var clients))
        {
            return;
        }
        if (ParameterSetName == InterfaceSet)
        {
            WaitLive(servers, clients);
            return;
        }
        var waiter = new TcpStateWaiter(new TcpSocketQuery
        {
            Ports = Port,
            LocalPorts = LocalPort,
            RemotePorts = RemotePort,
            Servers = servers,
            Clients = clients,
            OwningProcesses = OwningProcess,
        })
        {
            States = State,
            NotStates = NotState,
        };
        WriteVerbose($"Waiting up to {Timeout.TotalSeconds:0.###} s for {Condition()}{Filters()}.");
        TcpWaitResult result;
        try
        {
            result = waiter.Wait(Timeout, _stopping.Token);
        }
        catch (Exception e) when (e is System.Net.NetworkInformation.NetworkInformationException or PlatformNotSupportedException or System.IO.IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(e, "SocketTableUnreadable", ErrorCategory.ReadError, null));
            return;
        }
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        WriteVerbose($"{(result.Satisfied ? "Reached" : "Not reached")} after {result.Elapsed.TotalSeconds:0.000} s, {result.Polls} reads of {result.Source}.");
        if (Quiet)
        {
            WriteObject(result.Satisfied);
            return;
        }
        if (result.Satisfied)
        {
            WriteObject(result.Sockets, enumerateCollection: true);
            return;
        }
        string message = $"Timed out after {Timeout.TotalSeconds:0.###} s waiting for {Condition()}{Filters()}: {Then(result.Sockets)}";
        WriteError(new ErrorRecord(new TimeoutException(message), "WaitTcpStateTimeout", ErrorCategory.OperationTimeout, result.Sockets.ToArray())
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = "The error's TargetObject holds the matching sockets as they were; raise -Timeout if the state is only slow to come." },
        });
    }

    /// <summary>The live form: the tracker's state changes feed the condition until it holds or the time is over.</summary>
    private void WaitLive(List<TcpEndpointFilter>? servers, List<TcpEndpointFilter>? clients)
    {
        var waiter = new TcpTools.Engine.Tracking.TcpFlowWaiter
        {
            States = State,
            NotStates = NotState,
            Ports = Port,
            Servers = servers,
            Clients = clients,
        };
        var pump = new TcpTools.Engine.Tracking.TcpFlowPump(new TcpTools.Engine.Tracking.TcpTrackerOptions { EmitStateChanges = true });
        var capture = CaptureFileCommandBase.OpenLive(this, new TcpTools.Engine.Capture.LiveCaptureOptions
        {
            Interfaces = Interface!,
            Filter = Filter,
            ReadTimeout = LiveReadTimeoutMs,
        });
        WriteVerbose($"Waiting up to {Timeout.TotalSeconds:0.###} s for {Condition(live: true)}{Filters()} on the wire.");
        var limits = new TcpTools.Engine.Capture.LiveLimits(0, Timeout > TimeSpan.FromMilliseconds(1) ? Timeout : TimeSpan.FromMilliseconds(1));
        List<TcpConnectionState>? result = null;
        bool held = false;
        try
        {
            while (!held && pump.Pump(capture, limits, _stopping.Token) != TcpTools.Engine.Tracking.TcpPumpResult.End)
            {
                while (pump.TryTake(out var flow))
                {
                    waiter.Observe(flow);
                }
                held = waiter.Holds(out result);
            }
        }
        catch (CaptureDeviceException e)
        {
            WriteError(CaptureFileCommandBase.DeviceError(e));
            return;
        }
        finally
        {
            CaptureFileCommandBase.CloseLive(this, capture, _stopping.IsCancellationRequested, CaptureFileCommandBase.VerboseWanted(this));
        }
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        if (Quiet)
        {
            WriteObject(held);
            return;
        }
        if (held)
        {
            WriteObject(result, enumerateCollection: true);
            return;
        }
        var seen = waiter.Latest.ToArray();
        string message = $"Timed out after {Timeout.TotalSeconds:0.###} s waiting for {Condition(live: true)}{Filters()} on the wire: {ThenOnTheWire(seen)}";
        WriteError(new ErrorRecord(new TimeoutException(message), "WaitTcpStateTimeout", ErrorCategory.OperationTimeout, seen)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = "The error's TargetObject holds the matching connections as the capture last saw them; raise -Timeout if the state is only slow to come." },
        });
    }

    private static string ThenOnTheWire(TcpConnectionState[] flows)
    {
        if (flows.Length == 0)
        {
            return "the capture saw no matching connection.";
        }
        string named = string.Join("; ", flows.Take(SocketsNamedInError).Select(f => $"{f.Client} > {f.Server} {f.ClientState}/{f.ServerState}"));
        string more = flows.Length > SocketsNamedInError ? $"; and {flows.Length - SocketsNamedInError} more" : "";
        return $"{flows.Length} matching connection{(flows.Length == 1 ? " was" : "s were")} then (client/server): {named}{more}.";
    }

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>PowerShell disposes cmdlets that implement IDisposable, also when the pipeline fails or stops.</summary>
    public void Dispose() => _stopping.Dispose();

    private string Condition(bool live = false)
    {
        string what = live ? "connection" : "socket";
        var parts = new List<string>();
        if (State is not null)
        {
            parts.Add($"a {what} in {string.Join(" or ", State)}");
        }
        if (NotState is not null)
        {
            parts.Add($"no {what} in {string.Join(" or ", NotState)}");
        }
        return string.Join(" and ", parts);
    }

    private string Filters()
    {
        var parts = new List<string>();
        foreach (var (name, value) in new (string, object?)[] { ("-Port", Port), ("-Server", Server), ("-Client", Client), ("-LocalPort", LocalPort), ("-RemotePort", RemotePort), ("-OwningProcess", OwningProcess) })
        {
            if (value is System.Collections.IEnumerable list)
            {
                parts.Add($"{name} {string.Join(",", list.Cast<object>())}");
            }
        }
        return parts.Count == 0 ? "" : $" ({string.Join(" ", parts)})";
    }

    private static string Then(IReadOnlyList<TcpSocket> sockets)
    {
        if (sockets.Count == 0)
        {
            return "no socket matched.";
        }
        string named = string.Join("; ", sockets.Take(SocketsNamedInError).Select(s => $"{s.Local} > {s.Remote} {s.State}"));
        string more = sockets.Count > SocketsNamedInError ? $"; and {sockets.Count - SocketsNamedInError} more" : "";
        if (sockets.Count == 1)
        {
            return $"1 matching socket was then {sockets[0].State}: {named}.";
        }
        var byState = sockets.GroupBy(s => s.State).Select(g => $"{g.Count()} {g.Key}");
        return $"{sockets.Count} matching sockets were then {string.Join(", ", byState)}: {named}{more}.";
    }

    /// <summary>host:port or host; a name is resolved here (every address it has). Each bad one is its own error.</summary>
    private bool TryEndpoints(string[]? texts, string parameter, out List<TcpEndpointFilter>? filters)
    {
        filters = null;
        if (texts is null)
        {
            return true;
        }
        filters = new List<TcpEndpointFilter>();
        foreach (string text in texts)
        {
            string? error;
            if (!ProbeTargets.TryParse(text, out string host, out List<ushort> ports, out error))
            {
                Bad(text, parameter, error!);
                continue;
            }
            IPAddress[] addresses;
            if (IPAddress.TryParse(host, out IPAddress? literal))
            {
                addresses = new[] { literal };
            }
            else
            {
                try
                {
                    addresses = Dns.GetHostAddresses(host);
                }
                catch (System.Net.Sockets.SocketException e)
                {
                    Bad(text, parameter, $"'{host}' does not resolve: {e.Message}");
                    continue;
                }
            }
            foreach (IPAddress address in addresses)
            {
                var network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
                if (ports.Count == 0)
                {
                    filters.Add(new TcpEndpointFilter(network, null));
                }
                foreach (ushort port in ports)
                {
                    filters.Add(new TcpEndpointFilter(network, port));
                }
            }
        }
        return filters.Count > 0;
    }

    private void Bad(string text, string parameter, string error) =>
        WriteError(new ErrorRecord(new ArgumentException(error, parameter), "InvalidEndpoint", ErrorCategory.InvalidArgument, text)
        {
            ErrorDetails = new ErrorDetails(error),
        });
}
