namespace TcpTools.Host;

/// <summary>How tcptools writes the objects of its command to standard output (-OutputFormat).</summary>
internal enum OutputFormat
{
    /// <summary>Through the format views, as a PowerShell console shows them.</summary>
    Text,

    /// <summary>One JSON array of all the objects, written when the command ends.</summary>
    Json,

    /// <summary>One compact JSON object per line, each as it arrives.</summary>
    JsonLines,

    /// <summary>CSV: a header from the first object, one line per object.</summary>
    Csv,
}
