using System;
using System.Collections.Generic;
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

    /// <summary>Runs a probing command's whole send (<paramref name="run"/>); a device or libpcap failure ends the command with its error record.</summary>
    public static void RunProbes(PSCmdlet cmdlet, Action run)
    {
        try
        {
            run();
        }
        catch (CaptureDeviceException e)
        {
            cmdlet.ThrowTerminatingError(CaptureFileCommandBase.DeviceError(e));
        }
        catch (PcapUnavailableException e)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(e, "LibPcapNotInstalled", ErrorCategory.NotInstalled, null));
        }
    }

    /// <summary>The checks Send-TcpSyn and Trace-TcpRoute share before anything is read: one address family at most, a positive timeout.</summary>
    public static void CheckProbeOptions(PSCmdlet cmdlet, bool ipv4, bool ipv6, TimeSpan timeout)
    {
        if (ipv4 && ipv6)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException("-IPv4 and -IPv6 exclude each other: give one, or neither to use the first address a name resolves to (IPv4 first)."), "ConflictingAddressFamilies", ErrorCategory.InvalidArgument, null));
        }
        if (timeout <= TimeSpan.Zero)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(timeout), timeout, "-Timeout must be positive."), "InvalidTimeout", ErrorCategory.InvalidArgument, timeout));
        }
    }

    /// <summary>Writes what planning found: warnings as warnings, the rest as non-terminating errors.</summary>
    public static void WriteProblems(PSCmdlet cmdlet, List<ScanProblem> problems)
    {
        foreach (var p in problems)
        {
            if (p.IsWarning)
            {
                cmdlet.WriteWarning(p.Message);
            }
            else
            {
                cmdlet.WriteError(Error(p));
            }
        }
    }

    /// <summary>The error record for a planning problem: its id, its category, the target as the user wrote it.</summary>
    public static ErrorRecord Error(ScanProblem p) =>
        new(p.Exception ?? new ArgumentException(p.Message), p.ErrorId, p.Category switch
        {
            ScanProblemCategory.ObjectNotFound => ErrorCategory.ObjectNotFound,
            ScanProblemCategory.LimitsExceeded => ErrorCategory.LimitsExceeded,
            _ => ErrorCategory.InvalidArgument,
        }, p.Target)
        {
            ErrorDetails = p.Exception is null ? null : new ErrorDetails(p.Message),
        };
}
