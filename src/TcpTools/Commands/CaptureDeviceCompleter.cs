using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using TcpTools.Engine.Capture;

namespace TcpTools.Commands;

/// <summary>Tab completion of -Interface: the interfaces libpcap sees (none when libpcap is missing).</summary>
public sealed class CaptureDeviceCompleter : IArgumentCompleter
{
    private static readonly System.Buffers.SearchValues<char> s_needsQuotes = System.Buffers.SearchValues.Create(" {}\\$'");

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<TcpCaptureDevice> devices;
        try
        {
            devices = LiveCapture.ListDevices(probeLinkType: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Array.Empty<CompletionResult>();
        }
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        return devices
            .Where(d => d.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(d => new CompletionResult(
                d.Name.AsSpan().IndexOfAny(s_needsQuotes) >= 0 ? $"'{d.Name.Replace("'", "''", StringComparison.Ordinal)}'" : d.Name,
                d.Name,
                CompletionResultType.ParameterValue,
                $"{d.Name}{(d.Addresses.Count > 0 ? " " + d.Addresses : "")}{(string.IsNullOrEmpty(d.Description) ? "" : " (" + d.Description + ")")}"))
            .ToList();
    }
}
