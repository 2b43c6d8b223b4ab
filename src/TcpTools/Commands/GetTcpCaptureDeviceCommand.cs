using System;
using System.Linq;
using System.Management.Automation;
using TcpTools.Engine.Capture;

namespace TcpTools.Commands;

/// <summary>Get-TcpCaptureDevice: the interfaces libpcap can capture on, with addresses, link type and flags.</summary>
[Cmdlet(VerbsCommon.Get, "TcpCaptureDevice")]
[OutputType(typeof(TcpCaptureDevice))]
public sealed class GetTcpCaptureDeviceCommand : PSCmdlet
{
    /// <summary>Only the interfaces whose name matches (wildcards allowed).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CaptureDeviceCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        System.Collections.Generic.IReadOnlyList<TcpCaptureDevice> devices;
        try
        {
            devices = LiveCapture.ListDevices();
        }
        catch (PcapUnavailableException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "LibPcapNotInstalled", ErrorCategory.NotInstalled, null));
            return;
        }
        if (Name is null)
        {
            WriteObject(devices, enumerateCollection: true);
            return;
        }
        foreach (string pattern in Name)
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var matches = devices.Where(d => wildcard.IsMatch(d.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                var e = new CaptureDeviceException(CaptureDeviceFault.NotFound, pattern,
                    $"There is no capture interface '{pattern}'. Interfaces libpcap sees: {(devices.Count == 0 ? "none (not privileged enough to list them?)" : string.Join(", ", devices.Select(d => d.Name)))}.",
                    devices.Select(d => d.Name).ToArray());
                var record = CaptureFileCommandBase.DeviceError(e);
                record.ErrorDetails.RecommendedAction = "Get-TcpCaptureDevice without -Name lists them all; wildcards such as 'eth*' match several.";
                WriteError(record);
                continue;
            }
            WriteObject(matches, enumerateCollection: true);
        }
    }
}
