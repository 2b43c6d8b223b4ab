using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using TcpTools.Engine.Capture;

namespace TcpTools.Commands;

/// <summary>
/// What every cmdlet that reads captures shares: -Path (wildcards) / -LiteralPath and pipeline binding, or
/// -Interface with -Count, -Duration, -Promiscuous, -SnapLength and -BufferSize for live capture; the BPF
/// -Filter; one non-terminating error per bad file; progress, Verbose counts, drop warnings and Ctrl+C.
/// </summary>
public abstract class CaptureFileCommandBase : PSCmdlet, IDisposable
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";
    protected const string InterfaceSet = "Interface";
    private static readonly long s_progressIntervalTicks = Stopwatch.Frequency / 4;
    private bool _verbose;

    private readonly CancellationTokenSource _stopping = new();
    private BpfFilter? _filter;
    private long _lastProgress;
    private int _activityId;

    /// <summary>Capture files to read (pcap or pcapng). Wildcards are expanded.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Capture files to read, taken exactly as written (no wildcards). Binds FileInfo objects by PSPath or FullName.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>Live interfaces to capture on (libpcap names: eth0, lo, any). Tab completion lists them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InterfaceSet)]
    [ArgumentCompleter(typeof(CaptureDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Interface { get; set; } = Array.Empty<string>();

    /// <summary>A BPF filter in tcpdump syntax, compiled by libpcap, applied to every frame before decoding.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = InterfaceSet)]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>Live: stop after this many TCP segments.</summary>
    [Parameter(ParameterSetName = InterfaceSet)]
    [ValidateRange(1, long.MaxValue)]
    public long Count { get; set; }

    /// <summary>Live: stop after this long. A number is seconds; a TimeSpan or '00:05:00' also binds.</summary>
    [Parameter(ParameterSetName = InterfaceSet)]
    [SecondsToTimeSpan]
    public TimeSpan Duration { get; set; }

    /// <summary>Live: put the interfaces in promiscuous mode (see traffic not addressed to this host).</summary>
    [Parameter(ParameterSetName = InterfaceSet)]
    public SwitchParameter Promiscuous { get; set; }

    /// <summary>Live: bytes kept of each frame (default 262144, tcpdump's). Headers need about 128.</summary>
    [Parameter(ParameterSetName = InterfaceSet)]
    [ValidateRange(64, 262144)]
    public int SnapLength { get; set; } = LiveCaptureOptions.DefaultSnapLength;

    /// <summary>Live: the kernel capture buffer in bytes (default 64MB; more rides out longer bursts).</summary>
    [Parameter(ParameterSetName = InterfaceSet)]
    [ValidateRange(1 << 16, int.MaxValue)]
    public int BufferSize { get; set; } = LiveCaptureOptions.DefaultBufferSize;

    /// <summary>True when reading live interfaces rather than files.</summary>
    protected bool IsLive => ParameterSetName == InterfaceSet;

    /// <summary>
    /// True when the files of one call are read at the end of the input, in the time order of their first frames
    /// (for a tracker, whose timers need time to run forward), rather than one by one as they are given.
    /// </summary>
    protected virtual bool ReadsFilesInTimeOrder => false;

    /// <summary>Cancelled by Ctrl+C (StopProcessing).</summary>
    protected CancellationToken StopToken => _stopping.Token;

    protected override void BeginProcessing()
    {
        _activityId = Math.Abs(GetType().Name.GetHashCode()) % 100_000;
        // Whether verbose output is wanted, decided now: after Ctrl+C the summary goes straight to the host.
        _verbose = VerboseWanted(this);
        if (Duration < TimeSpan.Zero)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(Duration), Duration, "-Duration must not be negative."), "InvalidDuration", ErrorCategory.InvalidArgument, Duration));
        }
        if (Filter is null || IsLive)
        {
            return;
        }
        try
        {
            _filter = new BpfFilter(Filter);
        }
        catch (CaptureFilterException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidCaptureFilter", ErrorCategory.InvalidArgument, Filter));
        }
        catch (PcapUnavailableException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "LibPcapNotInstalled", ErrorCategory.NotInstalled, Filter));
        }
    }

    protected override void ProcessRecord()
    {
        if (IsLive)
        {
            CaptureLive();
            return;
        }
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string given in literal ? LiteralPath : Path)
        {
            foreach (string file in Resolve(given, literal))
            {
                if (StopToken.IsCancellationRequested)
                {
                    return;
                }
                if (ReadsFilesInTimeOrder)
                {
                    _pending.Add(file);
                    continue;
                }
                ReadFile(file);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_pending.Count > 0)
        {
            ReadInTimeOrder();
        }
        _filter?.Dispose();
        _filter = null;
    }

    private void ReadInTimeOrder()
    {
        // Stable: files that begin at the same time (the same file twice) keep the order given; a file whose first
        // frame cannot be read goes first, so that its error comes before any result.
        var files = _pending.Select((path, index) => (Path: path, Index: index, First: FirstFrameTime(path))).OrderBy(f => f.First).ThenBy(f => f.Index).ToList();
        _pending.Clear();
        if (files.Select(f => f.Index).Where((index, position) => index != position).Any())
        {
            WriteVerbose("Reading the files in the time order of their first frames: " + string.Join(", ", files.Select(f => f.Path)) + ".");
        }
        foreach (var file in files)
        {
            if (StopToken.IsCancellationRequested)
            {
                return;
            }
            ReadFile(file.Path);
        }
    }

    private static long FirstFrameTime(string path)
    {
        try
        {
            using var reader = CaptureFileReader.Open(path, bufferSize: 1 << 16); // a glance, not the file's first MiB
            return reader.TryReadNext(out CapturedFrame frame, out _) ? frame.UnixTimeNanoseconds : long.MaxValue;
        }
        catch (Exception e) when (e is CaptureFileException or IOException or UnauthorizedAccessException)
        {
            return long.MinValue;
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>PowerShell disposes cmdlets that implement IDisposable, also when the pipeline fails or stops.</summary>
    public void Dispose()
    {
        _filter?.Dispose();
        _filter = null;
        _stopping.Dispose();
        DisposeMore();
        GC.SuppressFinalize(this);
    }

    /// <summary>How long libpcap may hold packets on a quiet link (ms); Get-TcpFlow shortens it to find owners in time.</summary>
    protected virtual int LiveReadTimeout => LiveCaptureOptions.DefaultReadTimeout;

    /// <summary>What a derived command holds beyond the base's (Get-TcpFlow's owner lookup).</summary>
    protected virtual void DisposeMore()
    {
    }

    /// <summary>Reads every segment of one open file; faults are handled by the caller.</summary>
    protected abstract void ProcessFile(CaptureFileSegmentReader reader);

    /// <summary>Reads live segments until <see cref="LiveDone"/> says so; the device is opened and closed by the caller.</summary>
    protected abstract void ProcessLive(LiveCapture capture);

    /// <summary>-Count and -Duration of the live capture, from the moment it opened.</summary>
    protected LiveLimits Limits { get; private set; } = LiveLimits.None;

    /// <summary>True when the live capture must end: Ctrl+C, -Count segments read, or -Duration over.</summary>
    protected bool LiveDone(long segments) => StopToken.IsCancellationRequested || Limits.Done(segments);

    /// <summary>How long one read may wait (ms): short enough to see Ctrl+C and the deadline in time.</summary>
    protected int LiveWait => Limits.WaitMilliseconds;

    private void CaptureLive()
    {
        var capture = OpenLive(this, new LiveCaptureOptions
        {
            Interfaces = Interface,
            Filter = Filter,
            Promiscuous = Promiscuous,
            SnapLength = SnapLength,
            BufferSize = BufferSize,
            ReadTimeout = LiveReadTimeout,
        });
        Limits = new LiveLimits(Count, Duration);
        try
        {
            ProcessLive(capture);
        }
        catch (CaptureDeviceException e)
        {
            WriteError(DeviceError(e));
        }
        finally
        {
            CloseLive(this, capture, StopToken.IsCancellationRequested, _verbose);
        }
    }

    /// <summary>
    /// Opens a live capture for a command (Get-TcpSegment, Get-TcpFlow, Wait-TcpState): its warnings, the
    /// "Capturing on" verbose line, and the terminating errors of a device, filter or libpcap that cannot be had.
    /// </summary>
    internal static LiveCapture OpenLive(PSCmdlet cmdlet, LiveCaptureOptions options)
    {
        LiveCapture capture;
        try
        {
            capture = LiveCapture.Open(options);
        }
        catch (CaptureDeviceException e)
        {
            cmdlet.ThrowTerminatingError(DeviceError(e));
            throw; // not reached: ThrowTerminatingError throws
        }
        catch (CaptureFilterException e)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(e, "InvalidCaptureFilter", ErrorCategory.InvalidArgument, options.Filter));
            throw;
        }
        catch (PcapUnavailableException e)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(e, "LibPcapNotInstalled", ErrorCategory.NotInstalled, string.Join(",", options.Interfaces)));
            throw;
        }
        while (capture.Warnings.Count > 0)
        {
            cmdlet.WriteWarning(capture.Warnings.Dequeue());
        }
        cmdlet.WriteVerbose($"Capturing on {string.Join(", ", capture.DeviceNames)} ({string.Join(", ", capture.LinkTypes)}){(options.Filter is null ? "" : $", filter '{options.Filter}'")}, {(capture.NanosecondTimestamps ? "nanosecond" : "microsecond")} timestamps.");
        return capture;
    }

    /// <summary>Whether the command's verbose stream is shown: -Verbose, or $VerbosePreference without it.</summary>
    internal static bool VerboseWanted(PSCmdlet cmdlet) =>
        cmdlet.MyInvocation.BoundParameters.TryGetValue("Verbose", out object? v)
            ? v is SwitchParameter sw && sw.IsPresent
            : cmdlet.GetVariableValue("VerbosePreference") is ActionPreference p && p is ActionPreference.Continue or ActionPreference.Inquire;

    /// <summary>Closes a live capture and writes libpcap's counts (verbose) and any drops (a warning).</summary>
    internal static void CloseLive(PSCmdlet cmdlet, LiveCapture capture, bool stopped, bool verbose)
    {
        var stats = capture.GetStatistics();
        capture.Dispose();
        foreach (var s in stats)
        {
            Summary(cmdlet, $"{s}.", warning: false, stopped, verbose);
        }
        Summary(cmdlet, $"Read {capture.Statistics}.", warning: false, stopped, verbose);
        foreach (var s in stats)
        {
            if (s.Dropped > 0 || s.InterfaceDropped > 0)
            {
                Summary(cmdlet, $"{s.Device}: {s.Dropped + s.InterfaceDropped} packets were dropped ({s.Dropped} by the kernel: the capture did not keep up; {s.InterfaceDropped} by the interface). A larger -BufferSize, a -Filter or a smaller -SnapLength helps.", warning: true, stopped, verbose);
            }
        }
    }

    /// <summary>Writes the end-of-capture summary; after Ctrl+C the pipeline is closed, so it goes to the host.</summary>
    private static void Summary(PSCmdlet cmdlet, string text, bool warning, bool stopped, bool verbose)
    {
        if (!stopped)
        {
            if (warning)
            {
                cmdlet.WriteWarning(text);
            }
            else
            {
                cmdlet.WriteVerbose(text);
            }
            return;
        }
        try
        {
            if (warning)
            {
                cmdlet.Host.UI.WriteWarningLine(text);
            }
            else if (verbose)
            {
                cmdlet.Host.UI.WriteVerboseLine(text);
            }
        }
        catch (Exception e) when (e is System.Management.Automation.Host.HostException or NotImplementedException or PipelineStoppedException)
        {
            // A host without a UI: nowhere to write after a stop.
        }
    }

    internal static ErrorRecord DeviceError(CaptureDeviceException e)
    {
        var (id, category) = e.Fault switch
        {
            CaptureDeviceFault.NotFound => ("InterfaceNotFound", ErrorCategory.ObjectNotFound),
            CaptureDeviceFault.PermissionDenied => ("CapturePermissionDenied", ErrorCategory.PermissionDenied),
            CaptureDeviceFault.ReadFailed => ("CaptureReadFailed", ErrorCategory.ReadError),
            CaptureDeviceFault.SendFailed => ("SendFailed", ErrorCategory.WriteError),
            _ => ("CaptureOpenFailed", ErrorCategory.OpenError),
        };
        var record = new ErrorRecord(e, id, category, e.Device);
        if (e.Fault == CaptureDeviceFault.PermissionDenied)
        {
            record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = CaptureDeviceException.PermissionHint };
        }
        else if (e.Fault == CaptureDeviceFault.NotFound)
        {
            record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = "Get-TcpCaptureDevice lists the interfaces; -Interface completes them with Tab." };
        }
        return record;
    }

    /// <summary>Called from <see cref="ProcessFile"/> per segment or so: throttled progress and queued warnings.</summary>
    protected void ReportProgress(CaptureFileSegmentReader reader)
    {
        while (reader.Warnings.Count > 0)
        {
            WriteFileError(reader.Warnings.Dequeue());
        }
        long now = Stopwatch.GetTimestamp();
        if (now - _lastProgress < s_progressIntervalTicks || reader.Length <= 0)
        {
            return;
        }
        _lastProgress = now;
        int percent = (int)Math.Clamp(reader.Position * 100 / reader.Length, 0, 100);
        WriteProgress(new ProgressRecord(_activityId, $"Reading {System.IO.Path.GetFileName(reader.Path)}", $"{reader.Statistics.Segments} segments, {reader.Position / (1 << 20)} of {reader.Length / (1 << 20)} MiB")
        {
            PercentComplete = percent,
        });
    }

    private readonly List<string> _pending = new();

    private void ReadFile(string file)
    {
        CaptureFileSegmentReader reader;
        try
        {
            reader = CaptureFileSegmentReader.Open(file, _filter);
        }
        catch (CaptureFileException e)
        {
            WriteFileError(e);
            return;
        }
        catch (UnauthorizedAccessException e)
        {
            WriteError(new ErrorRecord(e, "CaptureFileAccessDenied", ErrorCategory.PermissionDenied, file));
            return;
        }
        catch (IOException e)
        {
            WriteError(new ErrorRecord(e, "CaptureFileOpenFailed", ErrorCategory.OpenError, file));
            return;
        }
        _lastProgress = Stopwatch.GetTimestamp();
        try
        {
            ProcessFile(reader);
            ReportProgress(reader);
        }
        catch (CaptureFileException e)
        {
            WriteFileError(e);
        }
        catch (CaptureFilterException e)
        {
            // The filter compiled for Ethernet but not for this file's link type.
            WriteError(new ErrorRecord(e, "InvalidCaptureFilter", ErrorCategory.InvalidArgument, file));
        }
        finally
        {
            WriteVerbose($"{file} ({reader.Format}): {reader.Statistics}.");
            if (reader.Length > 0)
            {
                WriteProgress(new ProgressRecord(_activityId, $"Reading {System.IO.Path.GetFileName(file)}", "Done") { RecordType = ProgressRecordType.Completed });
            }
            reader.Dispose();
        }
    }

    private void WriteFileError(CaptureFileException e)
    {
        var category = e.Kind switch
        {
            CaptureFaultKind.UnsupportedLinkType => ErrorCategory.NotImplemented,
            CaptureFaultKind.UnsupportedVersion => ErrorCategory.NotImplemented,
            CaptureFaultKind.ReadError => ErrorCategory.ReadError,
            _ => ErrorCategory.InvalidData,
        };
        string where = e.FrameNumber > 0 ? $" (frame {e.FrameNumber}, byte offset {e.Offset})" : "";
        var record = new ErrorRecord(e, "CaptureFile" + e.Kind, category, e.Path)
        {
            ErrorDetails = new ErrorDetails($"{e.Path}: {e.Message}"),
        };
        if (e.Kind is CaptureFaultKind.Truncated or CaptureFaultKind.CorruptRecord && e.FrameNumber > 1)
        {
            record.ErrorDetails.RecommendedAction = $"Frames before {e.FrameNumber} were read{where}. 'editcap' or 'pcapfix' can often repair the file.";
        }
        WriteError(record);
    }

    private IEnumerable<string> Resolve(string given, bool literal)
    {
        var files = new List<string>();
        ProviderInfo provider;
        try
        {
            if (literal)
            {
                files.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(given, out provider, out _));
            }
            else
            {
                files.AddRange(SessionState.Path.GetResolvedProviderPathFromPSPath(given, out provider));
                if (files.Count == 0)
                {
                    WriteError(new ErrorRecord(new FileNotFoundException($"No file matches '{given}'."), "PathNotFound", ErrorCategory.ObjectNotFound, given));
                    return files;
                }
            }
        }
        catch (ItemNotFoundException e)
        {
            WriteError(new ErrorRecord(new FileNotFoundException($"Cannot find the capture file '{given}' because it does not exist.", given, e), "PathNotFound", ErrorCategory.ObjectNotFound, given));
            return Array.Empty<string>();
        }
        catch (Exception e) when (e is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSNotSupportedException or NotSupportedException or PSArgumentException)
        {
            WriteError(new ErrorRecord(e, "InvalidPath", ErrorCategory.InvalidArgument, given));
            return Array.Empty<string>();
        }
        if (provider.Name != "FileSystem")
        {
            WriteError(new ErrorRecord(new ArgumentException($"'{given}' is on the {provider.Name} provider; capture files must be on the file system."), "NotFileSystemPath", ErrorCategory.InvalidArgument, given));
            return Array.Empty<string>();
        }
        var result = new List<string>(files.Count);
        foreach (string file in files)
        {
            if (Directory.Exists(file))
            {
                WriteError(new ErrorRecord(new IOException($"'{file}' is a directory, not a capture file. Use a wildcard such as '{System.IO.Path.Combine(file, "*.pcap*")}'."), "PathIsDirectory", ErrorCategory.InvalidArgument, file));
            }
            else if (!File.Exists(file))
            {
                WriteError(new ErrorRecord(new FileNotFoundException($"Cannot find the capture file '{file}' because it does not exist.", file), "PathNotFound", ErrorCategory.ObjectNotFound, file));
            }
            else
            {
                result.Add(file);
            }
        }
        return result;
    }
}
