using System;
using System.Collections.Generic;
using System.Text;

namespace TcpTools.Host;

/// <summary>The host's arguments, in the manner of pwsh: -Command text, or -File script with its arguments.</summary>
internal sealed class CommandLine
{
    public string? Command { get; private set; }
    public string? File { get; private set; }
    public List<string> FileArguments { get; } = new();
    public bool ShowHelp { get; private set; }
    public bool ShowVersion { get; private set; }
    public OutputFormat OutputFormat { get; private set; } = OutputFormat.Text;
    public string? Error { get; private set; }

    public static CommandLine Parse(string[] args)
    {
        var cl = new CommandLine();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (Is(a, "-Command", "-c"))
            {
                cl.Command = i + 1 < args.Length ? string.Join(' ', args, i + 1, args.Length - i - 1) : null;
                if (cl.Command is null)
                {
                    cl.Error = "-Command needs the command text (or '-' to read it from standard input).";
                }
                return cl;
            }
            if (Is(a, "-File", "-f"))
            {
                if (i + 1 >= args.Length)
                {
                    cl.Error = "-File needs the path of a script.";
                    return cl;
                }
                cl.File = args[i + 1];
                cl.FileArguments.AddRange(args[(i + 2)..]);
                return cl;
            }
            if (Is(a, "-Help", "-h", "-?", "--help"))
            {
                cl.ShowHelp = true;
                return cl;
            }
            if (Is(a, "-Version", "-v", "--version"))
            {
                cl.ShowVersion = true;
                return cl;
            }
            if (Is(a, "-OutputFormat", "-of", "-o"))
            {
                if (i + 1 >= args.Length || !Enum.TryParse(args[i + 1], ignoreCase: true, out OutputFormat format) || !Enum.IsDefined(format) || !char.IsAsciiLetter(args[i + 1][0]))
                {
                    cl.Error = "-OutputFormat takes Text, Json, JsonLines or Csv.";
                    return cl;
                }
                cl.OutputFormat = format;
                i++;
                continue;
            }
            if (Is(a, "-NoProfile", "-nop", "-NonInteractive", "-noni", "-NoLogo"))
            {
                continue; // accepted for pwsh compatibility: this host has no profile and never prompts for a REPL
            }
            // Like pwsh, a bare first argument is a script file if it ends in .ps1, else command text.
            if (a.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase))
            {
                cl.File = a;
                cl.FileArguments.AddRange(args[(i + 1)..]);
            }
            else
            {
                cl.Command = string.Join(' ', args, i, args.Length - i);
            }
            return cl;
        }
        cl.ShowHelp = true;
        return cl;
    }

    /// <summary>A script invocation that passes -File's arguments as pwsh -File would: -Name tokens as parameter names, the rest as strings.</summary>
    public string BuildFileInvocation(string fullPath)
    {
        var sb = new StringBuilder("& ").Append(Quote(fullPath));
        foreach (string arg in FileArguments)
        {
            sb.Append(' ');
            sb.Append(IsParameterName(arg) ? arg : Quote(arg));
        }
        return sb.ToString();
    }

    public const string Usage = """
        tcptools - PowerShell with the TcpTools module loaded.

        Usage:
          tcptools [-OutputFormat F] -Command '<pipeline>'        run a command line ('-' reads it from stdin)
          tcptools [-OutputFormat F] -File script.ps1 [args...]  run a script with arguments
          tcptools -Version | -Help

        -OutputFormat (-of) chooses how the objects are written to standard output:
          Text       the module's format views, as PowerShell shows them (the default)
          Json       one JSON array of every object (ConvertTo-Json -AsArray -EnumsAsStrings -Depth 4)
          JsonLines  one compact JSON object per line, written as each object arrives (for jq and -Watch)
          Csv        a header and one line per object (ConvertTo-Csv; the first object's properties)

        Examples:
          tcptools -Command 'Get-TcpSegment -Path samples/http-ipv4.pcap'
          tcptools -Command 'Get-TcpSegment -Path x.pcap | Where-Object Flags -match Syn'
          tcptools -Command 'Get-Help Get-TcpSegment -Examples'
          tcptools -of JsonLines -Command 'Get-TcpFlow -Path x.pcap' | jq -r .History

        Output goes through the module's format views; errors go to stderr.
        Exit code: the script's 'exit N'; else 1 if any error was written; else 0.
        """;

    private static bool Is(string arg, params string[] names)
    {
        foreach (string n in names)
        {
            if (string.Equals(arg, n, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsParameterName(string arg)
    {
        if (arg.Length < 2 || arg[0] != '-' || !char.IsLetter(arg[1]))
        {
            return false;
        }
        for (int i = 2; i < arg.Length; i++)
        {
            char c = arg[i];
            if (!(char.IsLetterOrDigit(c) || c == '_' || (c == ':' && i == arg.Length - 1)))
            {
                return false;
            }
        }
        return true;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
}
