using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>Which endpoints of a connection Send-TcpReset resets.</summary>
public enum TcpResetDirection
{
    /// <summary>A RST to the server (as from the client) and one to the client (as from the server).</summary>
    Both,
    ToServer,
    ToClient,
}

/// <summary>
/// Send-TcpReset: resets a live connection as tcpkill does: a RST that each endpoint accepts, from a
/// TcpConnectionState in the pipeline (sequence numbers last seen) or from explicit endpoints and sequence number.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "TcpReset", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(TcpSegment))]
public sealed class SendTcpResetCommand : TcpSendCommandBase
{
    private const string ConnectionSet = "Connection";
    private const string ExplicitSet = "Explicit";

    /// <summary>Connections to reset, from Get-TcpFlow (file or live): their last seen sequence numbers are used.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ConnectionSet)]
    [ValidateNotNull]
    public TcpConnectionState[] InputObject { get; set; } = Array.Empty<TcpConnectionState>();

    /// <summary>Which endpoint(s) to reset (default Both).</summary>
    [Parameter(ParameterSetName = ConnectionSet)]
    public TcpResetDirection Direction { get; set; } = TcpResetDirection.Both;

    /// <summary>The endpoint the RST pretends to come from, as 'address:port' or '[v6]:port'.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ExplicitSet)]
    [ValidateNotNull]
    public IPEndPoint Source { get; set; } = new(IPAddress.None, 0);

    /// <summary>The endpoint to reset, as 'address:port' or '[v6]:port'.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ExplicitSet)]
    [ValidateNotNull]
    public IPEndPoint Destination { get; set; } = new(IPAddress.None, 0);

    /// <summary>The RST's sequence number: the destination's next expected byte (RCV.NXT), which RFC 5961 receivers require exactly.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ExplicitSet)]
    [Alias("Seq")]
    public uint SequenceNumber { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ExplicitSet)
        {
            foreach (var (name, endpoint) in new[] { ("Source", Source), ("Destination", Destination) })
            {
                if (endpoint.Port == 0)
                {
                    WriteError(new ErrorRecord(new ArgumentException($"-{name} {endpoint} has no port: write 'address:port', or '[fd00::1]:443' for IPv6."), "EndpointHasNoPort", ErrorCategory.InvalidArgument, endpoint));
                    return;
                }
            }
            Reset($"{Destination}", new[] { (Source, Destination, SequenceNumber) });
            return;
        }
        foreach (var flow in InputObject)
        {
            if (StopToken.IsCancellationRequested)
            {
                return;
            }
            if (flow.ClientState == TcpState.Closed && flow.ServerState == TcpState.Closed)
            {
                WriteWarning($"{flow.Client} > {flow.Server}: both endpoints are already closed ({flow.CloseReason}); nothing to reset.");
                continue;
            }
            if (flow.Tunnels.Count > 0)
            {
                // A RST sent as a plain packet would reach the inner addresses outside their tunnel, if anywhere.
                WriteError(new ErrorRecord(
                    new InvalidOperationException($"{flow.Client} > {flow.Server} was carried in a tunnel ({flow.Tunnels}): Send-TcpReset sends plain IP packets, which would not reach the connection's endpoints inside it. Not sent."),
                    "ConnectionInTunnel", ErrorCategory.InvalidOperation, flow));
                continue;
            }
            var rsts = new List<(IPEndPoint, IPEndPoint, uint)>();
            // Each side expects the other's next sequence number; if its last ACK lags behind, also that value.
            if (Direction != TcpResetDirection.ToClient)
            {
                AddResets(rsts, flow.ClientEndPoint, flow.ServerEndPoint, flow.ClientNextSequence, flow.ServerAcknowledgment);
            }
            if (Direction != TcpResetDirection.ToServer)
            {
                AddResets(rsts, flow.ServerEndPoint, flow.ClientEndPoint, flow.ServerNextSequence, flow.ClientAcknowledgment);
            }
            Reset($"{flow.Client} <> {flow.Server}", rsts);
        }
    }

    private static void AddResets(List<(IPEndPoint, IPEndPoint, uint)> into, IPEndPoint from, IPEndPoint to, uint next, uint acknowledged)
    {
        into.Add((from, to, next));
        if (acknowledged != 0 && acknowledged != next)
        {
            into.Add((from, to, acknowledged));
        }
    }

    private void Reset(string what, IReadOnlyList<(IPEndPoint From, IPEndPoint To, uint Seq)> rsts)
    {
        var valid = new List<(IPEndPoint From, IPEndPoint To, uint Seq)>(rsts.Count);
        foreach (var r in rsts)
        {
            if (r.From.AddressFamily != r.To.AddressFamily)
            {
                WriteError(new ErrorRecord(new ArgumentException($"{r.From} and {r.To} must both be IPv4 or both IPv6."), "AddressFamilyMismatch", ErrorCategory.InvalidArgument, r.To));
                continue;
            }
            string? refusal = ProbeTargets.RefusalReason(r.To.Address);
            if (refusal != null)
            {
                WriteError(new ErrorRecord(new ArgumentException($"{r.To.Address} {refusal}: not sent."), "TargetRefused", ErrorCategory.InvalidArgument, r.To));
                continue;
            }
            valid.Add(r);
        }
        if (valid.Count == 0 || !ShouldProcess(what, $"Reset the TCP connection ({valid.Count} RST segment{(valid.Count == 1 ? "" : "s")})"))
        {
            return;
        }
        foreach (var (from, to, seq) in valid)
        {
            var rst = TcpSender.Build(new TcpSegmentSpec
            {
                Source = from.Address,
                Destination = to.Address,
                SourcePort = (ushort)from.Port,
                DestinationPort = (ushort)to.Port,
                SequenceNumber = seq,
                Flags = TcpFlags.Rst,
                Window = 0,
            });
            if (!SendErrors.TrySend(this, to, () => Sender.Send(rst, TimeSpan.Zero, StopToken)))
            {
                continue;
            }
            WriteVerbose($"RST {from} > {to} seq {seq}");
            if (PassThru)
            {
                WriteObject(rst);
            }
        }
    }
}
