using System;
using System.IO;
using System.Management.Automation;
using TcpTools.Engine.Capture;

namespace TcpTools.Commands;

/// <summary>The file formats Export-TcpCapture writes.</summary>
public enum TcpCaptureFormat
{
    /// <summary>Chosen by the path's extension: .pcap → Pcap, anything else → PcapNg.</summary>
    Auto,

    /// <summary>Classic pcap, nanosecond timestamps, one link type per file.</summary>
    Pcap,

    /// <summary>pcapng: several interfaces and link types, nanosecond timestamps.</summary>
    PcapNg,
}

/// <summary>Export-TcpCapture: writes TcpSegment objects (their captured frames and timestamps) to a pcap or pcapng file.</summary>
[Cmdlet(VerbsData.Export, "TcpCapture", SupportsShouldProcess = true, DefaultParameterSetName = "Path")]
[OutputType(typeof(FileInfo))]
public sealed class ExportTcpCaptureCommand : PSCmdlet, IDisposable
{
    private CaptureFileWriter? _writer;
    private string? _file;
    private bool _refused;

    /// <summary>The file to write. Its extension picks the format unless -Format says.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The file to write, exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath")]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>Segments to write, from Get-TcpSegment (files or live).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public TcpSegment?[] InputObject { get; set; } = Array.Empty<TcpSegment>();

    /// <summary>Pcap or PcapNg; by default the existing file decides when appending, else the extension (.pcap, .cap: Pcap; otherwise PcapNg).</summary>
    [Parameter]
    public TcpCaptureFormat Format { get; set; }

    /// <summary>Add to an existing file (pcap: same link type; pcapng: a new section) instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Replace an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the file's FileInfo when done.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        string given = ParameterSetName == "LiteralPath" ? LiteralPath : Path;
        string file;
        try
        {
            file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(given, out ProviderInfo provider, out _);
            if (provider.Name != "FileSystem")
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{given}' is on the {provider.Name} provider; capture files must be on the file system."), "NotFileSystemPath", ErrorCategory.InvalidArgument, given));
            }
        }
        catch (Exception e) when (e is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSNotSupportedException or NotSupportedException or PSArgumentException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidPath", ErrorCategory.InvalidArgument, given));
            return;
        }
        if (Directory.Exists(file))
        {
            ThrowTerminatingError(new ErrorRecord(new IOException($"'{file}' is a directory; give a file name such as '{System.IO.Path.Combine(file, "capture.pcapng")}'."), "PathIsDirectory", ErrorCategory.InvalidArgument, file));
        }
        _file = file;
    }

    protected override void ProcessRecord()
    {
        if (_refused)
        {
            return;
        }
        foreach (var segment in InputObject)
        {
            if (segment is null)
            {
                continue;
            }
            if (_writer is null && !OpenWriter())
            {
                return;
            }
            try
            {
                _writer!.Write(segment.UnixTimeNanoseconds, segment.LinkType, segment.InterfaceName, segment.Frame.Span, segment.FrameLength);
            }
            catch (InvalidOperationException e)
            {
                WriteError(new ErrorRecord(e, "LinkTypeMismatch", ErrorCategory.InvalidData, segment));
            }
            catch (IOException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, "CaptureFileWriteFailed", ErrorCategory.WriteError, _file));
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_writer is null)
        {
            if (!_refused && !Append && ShouldProcess(_file!, "Write an empty capture file"))
            {
                // Nothing came: a valid capture with no packets says so (and replaces the old one, as asked).
                OpenWriter(prompted: true);
            }
            if (_writer is null)
            {
                if (PassThru && !_refused && File.Exists(_file))
                {
                    WriteObject(new FileInfo(_file!));
                }
                return;
            }
        }
        _writer.Dispose();
        WriteVerbose($"{_file}: {_writer.FramesWritten} segments written ({_writer.Format}).");
        _writer = null;
        if (PassThru)
        {
            WriteObject(new FileInfo(_file!));
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
        GC.SuppressFinalize(this);
    }

    private bool OpenWriter(bool prompted = false)
    {
        string file = _file!;
        if (!prompted && !ShouldProcess(file, Append && File.Exists(file) ? "Append TCP segments" : "Write TCP segments"))
        {
            _refused = true;
            return false;
        }
        if (File.Exists(file) && !Append && !Force)
        {
            _refused = true;
            ThrowTerminatingError(new ErrorRecord(new IOException($"The file '{file}' already exists. Use -Force to replace it or -Append to add to it."), "CaptureFileExists", ErrorCategory.ResourceExists, file));
        }
        CaptureFileFormat? format = Format switch
        {
            TcpCaptureFormat.Pcap => CaptureFileFormat.PcapNanosecond,
            TcpCaptureFormat.PcapNg => CaptureFileFormat.PcapNg,
            _ => null, // the existing file's format when appending, else the extension's
        };
        try
        {
            _writer = CaptureFileWriter.Open(file, format, Append);
            return true;
        }
        catch (CaptureFileException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "CaptureFileFormatMismatch", ErrorCategory.InvalidData, file));
        }
        catch (UnauthorizedAccessException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "CaptureFileAccessDenied", ErrorCategory.PermissionDenied, file));
        }
        catch (IOException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "CaptureFileOpenFailed", ErrorCategory.OpenError, file));
        }
        return false;
    }
}
