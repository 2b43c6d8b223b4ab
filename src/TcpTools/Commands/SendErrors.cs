using System;
using System.Management.Automation;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>How the cmdlets that send report a failed send: per packet (no route, not sent) or for the whole command (no privilege, no libpcap).</summary>
internal static class SendErrors
{
    /// <summary>Runs <paramref name="send"/>; false after writing a per-item error (the caller goes on). Terminating failures throw.</summary>
    public static bool TrySend(PSCmdlet cmdlet, object target, Action send)
    {
        try
        {
            send();
            return true;
        }
        catch (NetworkUnreachableException e)
        {
            cmdlet.WriteError(new ErrorRecord(e, "TargetUnreachable", ErrorCategory.ConnectionError, target));
        }
        catch (CaptureDeviceException e) when (e.Fault == CaptureDeviceFault.SendFailed)
        {
            cmdlet.WriteError(CaptureFileCommandBase.DeviceError(e));
        }
        catch (CaptureDeviceException e)
        {
            cmdlet.ThrowTerminatingError(CaptureFileCommandBase.DeviceError(e));
        }
        catch (PcapUnavailableException e)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(e, "LibPcapNotInstalled", ErrorCategory.NotInstalled, null));
        }
        return false;
    }
}
