using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using TcpTools.Engine.Sockets;

namespace TcpTools.Commands;

/// <summary>
/// Get-TcpConnection: this host's TCP sockets (the current network namespace's, on Linux) as TcpSocket objects with
/// the same TcpState values as Get-TcpFlow, Get-NetTCPConnection's filters, owners and what ss -tanpio shows.
/// </summary>
[Cmdlet(VerbsCommon.Get, "TcpConnection")]
[OutputType(typeof(TcpSocket))]
public sealed class GetTcpConnectionCommand : PSCmdlet
{
    private bool _deniedWarned;
    private bool _unsupportedWarned;
    private bool _fallbackSaid;

    /// <summary>Only sockets in one of these states.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public TcpState[]? State { get; set; }

    /// <summary>Only sockets whose local address is one of these (an address, or a prefix such as 198.18.0.0/15).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? LocalAddress { get; set; }

    /// <summary>Only sockets on one of these local ports (numbers or service names such as https).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ServicePort]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public ushort[]? LocalPort { get; set; }

    /// <summary>Only sockets whose peer's address is one of these (an address, or a prefix).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? RemoteAddress { get; set; }

    /// <summary>Only sockets whose peer's port is one of these.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ServicePort]
    [ArgumentCompleter(typeof(ServicePortCompleter))]
    public ushort[]? RemotePort { get; set; }

    /// <summary>Only sockets held by one of these processes (Get-Process objects bind by their Id).</summary>
    /// <remarks>Null allowed: a TIME_WAIT socket piped back in has no owner, and then no owner filter applies.</remarks>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [AllowNull]
    [AllowEmptyCollection]
    public int[]? OwningProcess { get; set; }

    /// <summary>Skip the owner lookup in /proc/PID/fd (faster on a host with many descriptors; OwningProcess and ProcessName stay empty).</summary>
    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryPrefixes(LocalAddress, nameof(LocalAddress), out var local) || !TryPrefixes(RemoteAddress, nameof(RemoteAddress), out var remote))
        {
            return;
        }
        var query = new TcpSocketQuery
        {
            States = State,
            LocalPorts = LocalPort,
            RemotePorts = RemotePort,
            LocalAddresses = local,
            RemoteAddresses = remote,
            OwningProcesses = OwningProcess is { Length: > 0 } ? OwningProcess : null,
            IncludeOwners = !NoOwner,
        };
        TcpSocketSnapshot snapshot;
        try
        {
            snapshot = TcpSocketTable.Read(query);
        }
        catch (Exception e) when (e is System.Net.NetworkInformation.NetworkInformationException or PlatformNotSupportedException or System.IO.IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(e, "SocketTableUnreadable", ErrorCategory.ReadError, null)
            {
                ErrorDetails = new ErrorDetails($"The socket table cannot be read: {e.Message}"),
            });
            return;
        }
        Report(this, snapshot, OwningProcess is { Length: > 0 }, ref _fallbackSaid, ref _deniedWarned, ref _unsupportedWarned);
        WriteObject(snapshot.Sockets, enumerateCollection: true);
    }

    /// <summary>The verbose line and the once-per-command warnings of a read (shared with Wait-TcpState).</summary>
    internal static void Report(PSCmdlet cmdlet, TcpSocketSnapshot snapshot, bool ownersAsked, ref bool fallbackSaid, ref bool deniedWarned, ref bool unsupportedWarned)
    {
        if (!fallbackSaid)
        {
            fallbackSaid = true;
            cmdlet.WriteVerbose(snapshot.FallbackReason is null
                ? $"Read {snapshot.Sockets.Count} sockets from {snapshot.Source}."
                : $"Read {snapshot.Sockets.Count} sockets from {snapshot.Source}: {snapshot.FallbackReason}.");
        }
        if (snapshot.OwnersDeniedProcesses > 0 && !deniedWarned)
        {
            deniedWarned = true;
            cmdlet.WriteWarning($"The descriptors of {snapshot.OwnersDeniedProcesses} processes of other users cannot be read, so the sockets they hold show no OwningProcess: reading /proc/PID/fd of another user's process needs root (or CAP_SYS_PTRACE), as ss -p does.");
        }
        if (snapshot.OwnersUnsupported && ownersAsked && !unsupportedWarned)
        {
            unsupportedWarned = true;
            cmdlet.WriteWarning("Socket owners are known on Linux only: on this system OwningProcess is empty, so -OwningProcess matches nothing.");
        }
    }

    /// <summary>Parses address filters; each bad one is its own error, and a filter left with none matches nothing.</summary>
    internal bool TryPrefixes(string[]? texts, string parameter, out List<IPNetwork>? networks)
    {
        networks = null;
        if (texts is null)
        {
            return true;
        }
        networks = new List<IPNetwork>(texts.Length);
        foreach (string text in texts)
        {
            if (AddressPrefix.TryParse(text, out IPNetwork network, out string? error))
            {
                networks.Add(network);
                continue;
            }
            WriteError(new ErrorRecord(new ArgumentException(error, parameter), "InvalidAddress", ErrorCategory.InvalidArgument, text)
            {
                ErrorDetails = new ErrorDetails(error) { RecommendedAction = "Give addresses or prefixes; resolve a name first with [System.Net.Dns]::GetHostAddresses('name')." },
            });
        }
        return networks.Count > 0;
    }
}
