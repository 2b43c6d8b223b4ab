using System;
using System.Management.Automation;
using System.Threading;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>What Send-TcpSegment and Send-TcpReset share: -Interface, -PassThru, one sender for the whole command, Ctrl+C.</summary>
public abstract class TcpSendCommandBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private TcpSender? _sender;

    /// <summary>Send on this interface rather than the one the routing table picks.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CaptureDeviceCompleter))]
    public string? Interface { get; set; }

    /// <summary>Write each segment sent.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Cancelled by Ctrl+C (StopProcessing).</summary>
    protected CancellationToken StopToken => _stopping.Token;

    /// <summary>The sender, opened on first use (routes, channels and next hops are found once per command).</summary>
    protected TcpSender Sender => _sender ??= new TcpSender(Interface);

    protected override void EndProcessing() => _sender?.Dispose();

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _sender?.Dispose();
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
