using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace TcpTools.PowerShell.Tests;

/// <summary>
/// Runs script text in a fresh runspace (one per call) with the built module imported, and keeps every stream.
/// </summary>
internal sealed class PowerShellRun
{
    private PowerShellRun()
    {
    }

    public List<PSObject> Output { get; } = new();
    public List<ErrorRecord> Errors { get; } = new();
    public List<string> Verbose { get; } = new();
    public List<string> Warnings { get; } = new();

    /// <summary>A terminating error, if the script threw one.</summary>
    public RuntimeException? Terminating { get; private set; }

    /// <summary>Base objects of the output.</summary>
    public List<T> Objects<T>() => Output.Select(o => o.BaseObject).OfType<T>().ToList();

    public static PowerShellRun Invoke(string script, bool importModule = true, IDictionary<string, object?>? variables = null)
    {
        var iss = InitialSessionState.CreateDefault();
        if (importModule)
        {
            iss.ImportPSModule(Repo.ModuleManifest);
        }
        if (variables != null)
        {
            foreach (var (name, value) in variables)
            {
                iss.Variables.Add(new SessionStateVariableEntry(name, value, ""));
            }
        }
        using var runspace = RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        var run = new PowerShellRun();
        try
        {
            foreach (var o in ps.Invoke())
            {
                if (o != null)
                {
                    run.Output.Add(o);
                }
            }
        }
        catch (RuntimeException e)
        {
            run.Terminating = e;
        }
        run.Errors.AddRange(ps.Streams.Error);
        run.Verbose.AddRange(ps.Streams.Verbose.Select(v => v.Message));
        run.Warnings.AddRange(ps.Streams.Warning.Select(w => w.Message));
        return run;
    }

    /// <summary>Fails with the errors' text when anything went wrong, so a broken run says why.</summary>
    public PowerShellRun AssertNoErrors()
    {
        if (Terminating != null)
        {
            throw new Xunit.Sdk.XunitException("terminating error: " + Terminating.Message);
        }
        if (Errors.Count > 0)
        {
            throw new Xunit.Sdk.XunitException("errors: " + string.Join(" | ", Errors.Select(e => e.ToString())));
        }
        return this;
    }
}
