using System;
using System.Diagnostics;
using System.Text;

namespace TcpTools.PowerShell.Tests.Lab;

/// <summary>Runs a program (no shell) and returns its output; throws with stderr when it fails.</summary>
internal static class Sh
{
    public static string Run(string file, params string[] args) => Run(TimeSpan.FromSeconds(30), true, file, args).Out;

    public static (int Exit, string Out, string Err) Try(string file, params string[] args) => Run(TimeSpan.FromSeconds(30), false, file, args);

    public static (int Exit, string Out, string Err) Run(TimeSpan timeout, bool check, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        p.WaitForExit();
        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static bool Exists(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            if (dir.Length > 0 && System.IO.File.Exists(System.IO.Path.Combine(dir, program)))
            {
                return true;
            }
        }
        return false;
    }
}
