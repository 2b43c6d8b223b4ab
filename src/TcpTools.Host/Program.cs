using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace TcpTools.Host;

/// <summary>Entry point: parse the command line, open a runspace with TcpTools imported, run, map the outcome to an exit code.</summary>
internal static class Program
{
    private const int ExitUsage = 64;

    private static int Main(string[] args)
    {
        var cl = CommandLine.Parse(args);
        if (cl.Error != null)
        {
            Console.Error.WriteLine("tcptools: " + cl.Error);
            Console.Error.WriteLine(CommandLine.Usage);
            return ExitUsage;
        }
        if (cl.ShowHelp)
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }
        if (cl.ShowVersion)
        {
            Console.WriteLine($"tcptools {typeof(Program).Assembly.GetName().Version} (PowerShell {typeof(PSObject).Assembly.GetName().Version})");
            return 0;
        }

        string? modulePath = FindModule();
        if (modulePath is null)
        {
            Console.Error.WriteLine("tcptools: cannot find the TcpTools module (TcpTools.psd1). Build it with 'dotnet build', or set TCPTOOLS_MODULE to the psd1 path.");
            return 1;
        }

        string script;
        if (cl.File != null)
        {
            string full = Path.GetFullPath(cl.File);
            if (!File.Exists(full))
            {
                Console.Error.WriteLine($"tcptools: the script '{cl.File}' does not exist.");
                return ExitUsage;
            }
            script = cl.BuildFileInvocation(full);
        }
        else
        {
            script = cl.Command == "-" ? Console.In.ReadToEnd() : cl.Command!;
        }

        var host = new TcpToolsHost();
        var iss = InitialSessionState.CreateDefault();
        iss.ImportPSModule(modulePath);
        using var runspace = RunspaceFactory.CreateRunspace(host, iss);
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        bool hadErrors = false;
        ps.Streams.Error.DataAdded += (_, e) =>
        {
            hadErrors = true;
            host.UI.WriteErrorLine(Describe(ps.Streams.Error[e.Index]));
        };
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true; // let StopProcessing run and the pipeline unwind
            ps.BeginStop(null, null);
        };

        ps.AddScript(script);
        AddOutput(ps, cl.OutputFormat);
        try
        {
            ps.Invoke();
        }
        catch (RuntimeException e) when (e is not PipelineStoppedException)
        {
            host.UI.WriteErrorLine(Describe(e.ErrorRecord));
            return host.ExitCode ?? 1;
        }
        catch (PipelineStoppedException)
        {
            return host.ExitCode ?? 130;
        }
        return host.ExitCode ?? (hadErrors || ps.HadErrors ? 1 : 0);
    }

    /// <summary>
    /// The end of the pipeline: format views, or text for other programs. JSON and CSV come from PowerShell's own
    /// ConvertTo-Json and ConvertTo-Csv, so they are what a pwsh user gets from the same objects (TcpTools' objects
    /// carry addresses as text and times as ISO 8601). Depth 4 reaches a probe's answering segment and its options.
    /// </summary>
    private static void AddOutput(PowerShell ps, OutputFormat format)
    {
        switch (format)
        {
            case OutputFormat.Json:
                ps.AddCommand("ConvertTo-Json").AddParameter("AsArray").AddParameter("EnumsAsStrings").AddParameter("Depth", 4);
                break;
            case OutputFormat.JsonLines:
                ps.AddCommand("ForEach-Object").AddParameter("Process", ScriptBlock.Create("ConvertTo-Json -InputObject $_ -Compress -EnumsAsStrings -Depth 4 -WarningAction SilentlyContinue"));
                break;
            case OutputFormat.Csv:
                ps.AddCommand("ConvertTo-Csv");
                break;
        }
        ps.AddCommand("Out-Default");
    }

    /// <summary>The module beside the host (out/host and out/TcpTools), or TCPTOOLS_MODULE.</summary>
    private static string? FindModule()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("TCPTOOLS_MODULE");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? Path.GetFullPath(fromEnv) : null;
        }
        string baseDir = AppContext.BaseDirectory;
        foreach (string candidate in new[] { Path.Combine(baseDir, "..", "TcpTools", "TcpTools.psd1"), Path.Combine(baseDir, "TcpTools", "TcpTools.psd1") })
        {
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }
        return null;
    }

    /// <summary>pwsh's concise error view: "Command: message".</summary>
    private static string Describe(ErrorRecord record)
    {
        string message = record.ErrorDetails?.Message is { Length: > 0 } details ? details : record.Exception.Message;
        string? command = record.InvocationInfo?.MyCommand?.Name;
        return string.IsNullOrEmpty(command) ? message : $"{command}: {message}";
    }
}
