using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace TcpTools.PowerShell.Tests;

/// <summary>The tcptools console host, run as a process the way a user runs it.</summary>
public class HostTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Repo.HostExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["COLUMNS"] = "160";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("tcptools did not exit within 120 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Command_prints_the_tcpdump_like_table_and_exits_0()
    {
        var (exit, stdout, stderr) = Run("-Command", $"Get-TcpSegment -Path '{Repo.Capture("eth-ipv4.pcap")}'");
        Assert.True(exit == 0, stderr);
        Assert.Equal("", stderr);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.Matches(@"^Time\s+Source\s+Destination\s+Flags\s+Seq\s+Ack\s+Win\s+Len$", lines[0]);
        var rows = CaptureFiles.TsharkRows("eth-ipv4.pcap");
        Assert.Equal(rows.Count, lines.Count - 2); // header and dashes
        // First row: the SYN, "198.18.0.1:40000 > 198.18.0.2:5000 S <seq>" with an empty Ack column.
        Assert.Matches($@"^\d\d:\d\d:\d\d\.\d{{6}}\s+{rows[0][5]}:{rows[0][7]} > {rows[0][8]}:{rows[0][10]}\s+S\s+{rows[0][14]}\s+{rows[0][16]}\s+0$", lines[2]);
        Assert.Matches($@"\s+S\.\s+{rows[1][14]}\s+{rows[1][15]}\s+", lines[3]);
    }

    [Fact]
    public void Host_runs_precompiled_PowerShell_without_quick_jit()
    {
        // What keeps start-up short (bench/RESULTS.md): the PowerShell assemblies the host loads are ReadyToRun
        // images, and a method without precompiled code is compiled fully optimised at its first call.
        string dir = Path.GetDirectoryName(Repo.HostExecutable)!;
        foreach (string name in new[] { "System.Management.Automation.dll", "Microsoft.PowerShell.Commands.Utility.dll", "TcpTools.Host.dll" })
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(dir, name)));
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, name + " is not a ReadyToRun image");
        }
        string config = File.ReadAllText(Path.Combine(dir, "TcpTools.Host.runtimeconfig.json"));
        Assert.Contains("\"System.Runtime.TieredCompilation.QuickJit\": false", config);
        Assert.DoesNotContain("\"System.Runtime.TieredCompilation\": false", config);
        // The module is never taken from the host's folder: it loads from out/TcpTools.
        Assert.False(File.Exists(Path.Combine(dir, "TcpTools.Engine.dll")));
    }

    [Fact]
    public void Flow_table_keeps_the_server_port_of_long_IPv6_endpoints()
    {
        // Zeek's ftp-ipv6 trace: [2001:470:4867:99::21]:21 is longer than the column; the port must stay visible.
        string trace = Path.Combine(Repo.Root, "..", "shared", "conformance", "zeek", "ftp-ipv6.pcap");
        var (exit, stdout, stderr) = Run("-Command", $"Get-TcpFlow -Path '{trace}'");
        Assert.True(exit == 0, stderr);
        var rows = stdout.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Contains("]:")).ToList();
        Assert.NotEmpty(rows);
        Assert.Contains(rows, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"[>|x] \u2026\S*\]:21\s"));
        Assert.All(rows, r => Assert.Matches(@"[>|x] \S*\]:\d+\s", r));
    }

    [Fact]
    public void Failing_command_writes_to_stderr_and_exits_nonzero()
    {
        var (exit, stdout, stderr) = Run("-Command", "Get-TcpSegment -Path /nonexistent/x.pcap");
        Assert.Equal(1, exit);
        Assert.Equal("", stdout.Trim());
        Assert.Contains("Get-TcpSegment: Cannot find the capture file '/nonexistent/x.pcap'", stderr);
    }

    [Fact]
    public void Terminating_error_exits_nonzero()
    {
        var (exit, _, stderr) = Run("-Command", $"Get-TcpSegment -Path '{Repo.Capture("eth-ipv4.pcap")}' -Filter 'not a filter ('");
        Assert.Equal(1, exit);
        Assert.Contains("not a filter (", stderr);
    }

    [Fact]
    public void Exit_statement_sets_the_exit_code()
    {
        Assert.Equal(3, Run("-Command", "exit 3").Exit);
    }

    [Fact]
    public void File_runs_a_script_with_named_and_positional_arguments()
    {
        using var dir = new TempDir();
        string script = dir.File("count.ps1", """
            param([string]$Capture, [string]$Flag = 'Syn')
            $n = @(Get-TcpSegment -Path $Capture | Where-Object Flags -match $Flag).Count
            "count=$n"
            """u8.ToArray());
        var (exit, stdout, stderr) = Run("-File", script, Repo.Capture("eth-ipv4.pcap"), "-Flag", "Fin");
        Assert.True(exit == 0, stderr);
        int fins = CaptureFiles.TsharkRows("eth-ipv4.pcap").Count(r => (Convert.ToInt32(r[13], 16) & 0x01) != 0);
        Assert.Equal($"count={fins}", stdout.Trim());
    }

    [Fact]
    public void Help_and_version()
    {
        var (exit, stdout, _) = Run("-Help");
        Assert.Equal(0, exit);
        Assert.Contains("tcptools -Command", stdout);
        var (vexit, vout, _) = Run("-Version");
        Assert.Equal(0, vexit);
        Assert.StartsWith("tcptools 0.1.0", vout);
    }

    [Fact]
    public void Get_Help_renders_through_the_host()
    {
        var (exit, stdout, stderr) = Run("-Command", "Get-Help Get-TcpSegment -Examples");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Get-TcpSegment", stdout);
        Assert.Contains("Example 1", stdout);
    }
}
