using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace TcpTools.PowerShell.Tests.Lab;

/// <summary>
/// A PowerShell pipeline running on its own thread inside a network namespace (so libpcap sees that namespace's
/// interfaces), with the module imported. Output arrives as the cmdlet writes it, each item with the time it came;
/// <see cref="Stop"/> is Ctrl+C (StopProcessing). Bounded: the pipeline is stopped when disposed.
/// </summary>
internal sealed class LivePowerShell : IDisposable
{
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _capturing = new();
    private readonly ManualResetEventSlim _done = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(TimeSpan At, PSObject Item)> _output = new();
    private System.Management.Automation.PowerShell? _ps;
    private Exception? _failure;

    private LivePowerShell(string ns, string script, IDictionary<string, object?> variables)
    {
        _thread = new Thread(() => Run(ns, script, variables)) { IsBackground = true, Name = "live " + ns };
        _thread.Start();
    }

    public List<ErrorRecord> Errors { get; } = new();
    public List<string> Verbose { get; } = new();
    public List<string> Warnings { get; } = new();

    /// <summary>When the pipeline ended (since start).</summary>
    public TimeSpan EndedAt { get; private set; }

    /// <summary>Starts the script and waits until the cmdlet reports that its capture is open, or its wait begun (its -Verbose line).</summary>
    public static LivePowerShell Start(string ns, string script, IDictionary<string, object?>? variables = null)
    {
        var live = new LivePowerShell(ns, script, variables ?? new Dictionary<string, object?>());
        if (!WaitHandle.WaitAny(new[] { live._capturing.WaitHandle, live._done.WaitHandle }, TimeSpan.FromSeconds(30)).Equals(0))
        {
            string why = live._failure?.Message ?? string.Join(" | ", live.Errors.Select(e => e.ToString()));
            live.Dispose();
            throw new InvalidOperationException("the live capture did not start: " + why);
        }
        return live;
    }

    /// <summary>Runs the script in the namespace to its end (at most <paramref name="timeout"/>).</summary>
    public static LivePowerShell RunToEnd(string ns, string script, IDictionary<string, object?>? variables = null, TimeSpan? timeout = null)
    {
        var live = new LivePowerShell(ns, script, variables ?? new Dictionary<string, object?>());
        if (!live.Wait(timeout ?? TimeSpan.FromSeconds(120)))
        {
            live.Dispose();
            throw new TimeoutException("the script did not end in time: " + script);
        }
        return live;
    }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Ctrl+C.</summary>
    public void Stop() => _ps?.Stop();

    /// <summary>Waits for the pipeline to end by itself (-Count, -Duration); false if it did not within the time.</summary>
    public bool Wait(TimeSpan timeout) => _done.Wait(timeout);

    public List<(TimeSpan At, T Item)> Items<T>()
    {
        lock (_output)
        {
            return _output.Where(o => o.Item.BaseObject is T).Select(o => (o.At, (T)o.Item.BaseObject)).ToList();
        }
    }

    public void AssertNoErrors()
    {
        if (_failure != null)
        {
            throw new Xunit.Sdk.XunitException("pipeline failed: " + _failure);
        }
        if (Errors.Count > 0)
        {
            throw new Xunit.Sdk.XunitException("errors: " + string.Join(" | ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception}")));
        }
    }

    public void Dispose()
    {
        if (!_done.IsSet)
        {
            Stop();
            _done.Wait(TimeSpan.FromSeconds(10));
        }
        _ps?.Dispose();
    }

    private void Run(string ns, string script, IDictionary<string, object?> variables)
    {
        try
        {
            NetworkLab.EnterOnThisThread(ns);
            var iss = InitialSessionState.CreateDefault();
            iss.ImportPSModule(Repo.ModuleManifest);
            foreach (var (name, value) in variables)
            {
                iss.Variables.Add(new SessionStateVariableEntry(name, value, ""));
            }
            using var runspace = RunspaceFactory.CreateRunspace(iss);
            runspace.ThreadOptions = PSThreadOptions.UseCurrentThread; // the pipeline runs here, in the namespace
            runspace.Open();
            _ps = System.Management.Automation.PowerShell.Create();
            _ps.Runspace = runspace;
            _ps.AddScript(script);
            _ps.Streams.Verbose.DataAdded += (_, e) =>
            {
                string message = _ps.Streams.Verbose[e.Index].Message;
                lock (Verbose)
                {
                    Verbose.Add(message);
                }
                // Live capture says "Capturing on …" once its capture is open, Wait-TcpState "Waiting up to …" before its first read.
                if (message.StartsWith("Capturing on", StringComparison.Ordinal) || message.StartsWith("Waiting up to", StringComparison.Ordinal))
                {
                    _capturing.Set();
                }
            };
            _ps.Streams.Warning.DataAdded += (_, e) => Warnings.Add(_ps.Streams.Warning[e.Index].Message);
            _ps.Streams.Error.DataAdded += (_, e) => Errors.Add(_ps.Streams.Error[e.Index]);
            var output = new PSDataCollection<PSObject>();
            output.DataAdded += (_, e) =>
            {
                lock (_output)
                {
                    _output.Add((_clock.Elapsed, output[e.Index]));
                }
            };
            try
            {
                _ps.Invoke(null, output);
            }
            catch (PipelineStoppedException)
            {
            }
            catch (RuntimeException e)
            {
                _failure = e;
            }
        }
        catch (Exception e)
        {
            _failure = e;
        }
        finally
        {
            EndedAt = _clock.Elapsed;
            _done.Set();
        }
    }
}
