using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Internal;
using System.Security;

namespace TcpTools.Host;

/// <summary>
/// Text out to stdout; errors, warnings, verbose, debug and progress to stderr so that stdout stays data.
/// Prompts read lines from stdin (used by -Confirm).
/// </summary>
internal sealed class HostUserInterface : PSHostUserInterface
{
    private readonly HostRawUserInterface _raw = new();
    private readonly bool _progress = !Console.IsErrorRedirected;
    private int _progressWidth;

    public override PSHostRawUserInterface RawUI => _raw;

    /// <summary>
    /// PowerShell colours table headers with ANSI escapes when the host says it supports them: only for a
    /// terminal, so that redirected output and pipes into grep stay plain text (NO_COLOR also turns it off).
    /// </summary>
    public override bool SupportsVirtualTerminal { get; } =
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    public override void Write(string value) => Console.Out.Write(Render(value));

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Console.Out.Write(Render(value));

    public override void WriteLine(string value) => Console.Out.WriteLine(Render(value));

    public override void WriteErrorLine(string value)
    {
        ClearProgress();
        Console.Error.WriteLine(value);
    }

    public override void WriteDebugLine(string message) => WriteErrorStream("DEBUG: " + message);

    public override void WriteVerboseLine(string message) => WriteErrorStream("VERBOSE: " + message);

    public override void WriteWarningLine(string message) => WriteErrorStream("WARNING: " + message);

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        if (!_progress)
        {
            return;
        }
        if (record.RecordType == ProgressRecordType.Completed)
        {
            ClearProgress();
            return;
        }
        string line = $"{record.Activity}: {record.StatusDescription}{(record.PercentComplete >= 0 ? $" ({record.PercentComplete}%)" : "")}";
        int width = _raw.BufferSize.Width - 1;
        if (line.Length > width)
        {
            line = line[..width];
        }
        Console.Error.Write("\r" + line.PadRight(_progressWidth));
        _progressWidth = line.Length;
    }

    public override string ReadLine() => Console.In.ReadLine() ?? "";

    public override SecureString ReadLineAsSecureString()
    {
        var secure = new SecureString();
        foreach (char c in ReadLine())
        {
            secure.AppendChar(c);
        }
        secure.MakeReadOnly();
        return secure;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        var result = new Dictionary<string, PSObject>();
        WriteLine(caption);
        WriteLine(message);
        foreach (var field in descriptions)
        {
            Write(field.Name + ": ");
            result[field.Name] = PSObject.AsPSObject(ReadLine());
        }
        return result;
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        WriteLine(caption);
        WriteLine(message);
        for (int i = 0; i < choices.Count; i++)
        {
            Write($"[{HotKey(choices[i].Label)}] {choices[i].Label.Replace("&", "", StringComparison.Ordinal)}  ");
        }
        Write($"(default is \"{HotKey(choices[Math.Max(defaultChoice, 0)].Label)}\"): ");
        string? answer = Console.In.ReadLine();
        if (string.IsNullOrWhiteSpace(answer))
        {
            return defaultChoice;
        }
        for (int i = 0; i < choices.Count; i++)
        {
            if (string.Equals(answer.Trim(), HotKey(choices[i].Label), StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        return defaultChoice;
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
    {
        WriteLine(message);
        if (string.IsNullOrEmpty(userName))
        {
            Write("User: ");
            userName = ReadLine();
        }
        Write("Password: ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }

    /// <summary>The formatter decorates headers with ANSI escapes whatever the host says; a host strips them where they don't belong.</summary>
    private string Render(string value) =>
        SupportsVirtualTerminal || value.IndexOf('\u001b', StringComparison.Ordinal) < 0 ? value : new StringDecorated(value).ToString(OutputRendering.PlainText);

    private static string HotKey(string label)
    {
        int amp = label.IndexOf('&', StringComparison.Ordinal);
        return amp >= 0 && amp + 1 < label.Length ? label[amp + 1].ToString() : label;
    }

    private void WriteErrorStream(string line)
    {
        ClearProgress();
        Console.Error.WriteLine(line);
    }

    private void ClearProgress()
    {
        if (_progressWidth > 0)
        {
            Console.Error.Write("\r" + new string(' ', _progressWidth) + "\r");
            _progressWidth = 0;
        }
    }
}
