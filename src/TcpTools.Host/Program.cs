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

        ps.AddScript(script).AddCommand("Out-Default");
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
