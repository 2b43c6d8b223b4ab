using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Management.Automation;
using System.Threading;
using TcpTools.Engine.Capture;

namespace TcpTools.Commands;

/// <summary>
/// What every cmdlet that reads capture files shares: -Path (wildcards) / -LiteralPath and pipeline binding,
/// the BPF -Filter, one non-terminating error per bad file, progress, Verbose counts and Ctrl+C.
/// </summary>
public abstract class CaptureFileCommandBase : PSCmdlet, IDisposable
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private static readonly long s_progressIntervalTicks = Stopwatch.Frequency / 4;

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

    /// <summary>A BPF filter in tcpdump syntax, compiled by libpcap, applied to every frame before decoding.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>Cancelled by Ctrl+C (StopProcessing).</summary>
    protected CancellationToken StopToken => _stopping.Token;

    protected override void BeginProcessing()
    {
        _activityId = Math.Abs(GetType().Name.GetHashCode()) % 100_000;
        if (Filter is null)
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
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string given in literal ? LiteralPath : Path)
        {
            foreach (string file in Resolve(given, literal))
            {
                if (StopToken.IsCancellationRequested)
                {
                    return;
                }
                ReadFile(file);
            }
        }
    }

    protected override void EndProcessing()
    {
        _filter?.Dispose();
        _filter = null;
    }

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>PowerShell disposes cmdlets that implement IDisposable, also when the pipeline fails or stops.</summary>
    public void Dispose()
    {
        _filter?.Dispose();
        _filter = null;
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads every segment of one open file; faults are handled by the caller.</summary>
    protected abstract void ProcessFile(CaptureFileSegmentReader reader);

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
