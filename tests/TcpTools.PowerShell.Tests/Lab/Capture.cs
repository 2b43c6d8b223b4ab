using System;
using System.Diagnostics;
using System.Text;
using System.Threading;

namespace TcpTools.PowerShell.Tests.Lab;

/// <summary>tcpdump writing a pcap in a namespace, bounded in time; Stop ends it cleanly (SIGINT) and waits.</summary>
internal sealed class Capture : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly ManualResetEventSlim _listening = new();

    public Capture(string ns, string iface, string file, string filter)
    {
        File = file;
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "netns", "exec", ns, "timeout", "-s", "INT", "120", "tcpdump", "--immediate-mode", "-i", iface, "-w", file, "-U", "-n", "-s", "0", "-B", "8192", "-Z", "root", filter })
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                return;
            }
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
            if (e.Data.Contains("listening on", StringComparison.Ordinal))
            {
                _listening.Set();
            }
        };
        _process.BeginErrorReadLine();
        if (!_listening.Wait(TimeSpan.FromSeconds(15)))
        {
            Dispose();
            throw new InvalidOperationException("tcpdump did not start: " + Stderr);
        }
    }

    public string File { get; }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Stops tcpdump (SIGINT to it and its timeout parent) and waits for the file to be complete.</summary>
    public void Stop()
    {
        if (_process.HasExited)
        {
            return;
        }
        // SIGINT to tcpdump itself (the child of timeout): it flushes the file and prints its statistics.
        string children = $"/proc/{_process.Id}/task/{_process.Id}/children";
        foreach (string pid in (System.IO.File.Exists(children) ? System.IO.File.ReadAllText(children) : "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            Sh.Try("kill", "-INT", pid);
        }
        if (!_process.WaitForExit(10_000))
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            _process.Dispose();
            _listening.Dispose();
        }
    }
}
