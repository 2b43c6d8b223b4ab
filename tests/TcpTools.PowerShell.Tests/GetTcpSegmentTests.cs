using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace TcpTools.PowerShell.Tests;

public class GetTcpSegmentTests
{
    private static readonly string Ipv4 = Repo.Capture("eth-ipv4.pcap");
    private static readonly string Ipv6 = Repo.Capture("eth-ipv6.pcap");
    private static readonly string MultiInterface = Repo.Capture("multi-if.pcapng");

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Theory]
    [InlineData("eth-ipv4.pcap")]
    [InlineData("eth-ipv6.pcap")]
    [InlineData("multi-if.pcapng")]
    [InlineData("multi-section.pcapng")]
    [InlineData("sll2-ipv6.pcap")]
    [InlineData("vlan-ipv4.pcap")]
    [InlineData("null-ipv4.pcap")]
    [InlineData("sack-loss.pcap")]
    public void Emits_one_TcpSegment_per_segment_tshark_sees(string capture)
    {
        var run = PowerShellRun.Invoke("Get-TcpSegment -Path $p", variables: Vars(("p", Repo.Capture(capture)))).AssertNoErrors();
        var segments = run.Objects<TcpTools.TcpSegment>();
        Assert.Equal(CaptureFiles.TsharkSegmentCount(capture), segments.Count);
        Assert.Equal(segments.Count, run.Output.Count);
        Assert.All(segments, s => Assert.Equal(Repo.Capture(capture), s.CaptureFile));
    }

    [Fact]
    public void Where_Object_on_flags_selects_the_syn_segments()
    {
        var run = PowerShellRun.Invoke("Get-TcpSegment -Path $p | Where-Object Flags -match 'Syn'", variables: Vars(("p", Ipv4))).AssertNoErrors();
        var expected = CaptureFiles.TsharkRows("eth-ipv4.pcap").Where(r => (Convert.ToInt32(r[13], 16) & 0x02) != 0).Select(r => long.Parse(r[0])).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, run.Objects<TcpTools.TcpSegment>().Select(s => s.FrameNumber).ToList());
        Assert.All(run.Objects<TcpTools.TcpSegment>(), s => Assert.True(s.Flags.HasFlag(TcpTools.TcpFlags.Syn)));
    }

    [Fact]
    public void Properties_compose_in_the_pipeline()
    {
        // The handshake's MSS values, the server's port, tcpdump flag text and endpoints, all through PowerShell.
        var run = PowerShellRun.Invoke("""
            $s = @(Get-TcpSegment -Path $p)
            [pscustomobject]@{
                Mss = @($s | Where-Object { $_.Flags -band [TcpTools.TcpFlags]::Syn } | ForEach-Object { $_.Options.MaximumSegmentSize })
                FirstFlags = $s[0].FlagsText
                SecondFlags = $s[1].FlagsText
                Server = $s[0].DestinationEndPoint.ToString()
                Ttl = $s[0].Ttl
                Version = $s[0].IPVersion
            }
            """, variables: Vars(("p", Ipv6))).AssertNoErrors();
        var o = Assert.Single(run.Output);
        Assert.All((object[])o.Properties["Mss"].Value, m => Assert.True(Convert.ToInt32(m) > 1000));
        Assert.Equal("S", o.Properties["FirstFlags"].Value);
        Assert.Equal("S.", o.Properties["SecondFlags"].Value);
        Assert.StartsWith("[fd00:198:18::", (string)o.Properties["Server"].Value);
        Assert.Equal(6, o.Properties["Version"].Value);
        Assert.Equal((byte)64, o.Properties["Ttl"].Value);
    }

    [Fact]
    public void Bpf_filter_selects_frames_before_decoding()
    {
        var run = PowerShellRun.Invoke("""
            @(Get-TcpSegment -Path $p -Filter 'tcp[tcpflags] & tcp-syn != 0').Count
            @(Get-TcpSegment -Path $p -Filter 'tcp port 9').Count
            @(Get-TcpSegment -Path $p -Filter 'src host 198.18.0.1').Count
            """, variables: Vars(("p", Ipv4))).AssertNoErrors();
        var rows = CaptureFiles.TsharkRows("eth-ipv4.pcap");
        Assert.Equal(rows.Count(r => (Convert.ToInt32(r[13], 16) & 0x02) != 0), (int)run.Output[0].BaseObject);
        Assert.Equal(0, (int)run.Output[1].BaseObject);
        Assert.Equal(rows.Count(r => r[5] == "198.18.0.1"), (int)run.Output[2].BaseObject);
    }

    [Fact]
    public void Bpf_filter_works_on_every_interface_of_a_pcapng()
    {
        var run = PowerShellRun.Invoke("@(Get-TcpSegment -Path $p -Filter 'tcp').Count", variables: Vars(("p", MultiInterface))).AssertNoErrors();
        Assert.Equal(CaptureFiles.TsharkSegmentCount("multi-if.pcapng"), (int)Assert.Single(run.Output).BaseObject);
    }

    [Fact]
    public void Invalid_filter_is_a_terminating_error_that_quotes_the_expression()
    {
        // try/catch sees only terminating errors, and the statement after the cmdlet must not run.
        var run = PowerShellRun.Invoke("try { Get-TcpSegment -Path $p -Filter 'tcp port eighty'; 'went on' } catch { $_ }", variables: Vars(("p", Ipv4)));
        Assert.Null(run.Terminating);
        var e = Assert.IsType<ErrorRecord>(Assert.Single(run.Output).BaseObject);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.StartsWith("InvalidCaptureFilter", e.FullyQualifiedErrorId);
        Assert.Equal("tcp port eighty", e.TargetObject);
        Assert.Contains("'tcp port eighty'", e.Exception.Message);
    }

    [Fact]
    public void Wildcards_pipeline_strings_FileInfo_and_LiteralPath_all_bind()
    {
        using var dir = new TempDir();
        File.Copy(Ipv4, Path.Combine(dir.Path, "a.pcap"));
        File.Copy(Ipv6, Path.Combine(dir.Path, "b.pcap"));
        File.Copy(Ipv4, Path.Combine(dir.Path, "[odd].pcap"));
        int v4 = CaptureFiles.TsharkSegmentCount("eth-ipv4.pcap");
        int v6 = CaptureFiles.TsharkSegmentCount("eth-ipv6.pcap");
        var run = PowerShellRun.Invoke("""
            @(Get-TcpSegment -Path ([IO.Path]::Combine($d, '?.pcap'))).Count
            @([IO.Path]::Combine($d, 'a.pcap') | Get-TcpSegment).Count
            @([System.IO.FileInfo]::new(([IO.Path]::Combine($d, 'b.pcap'))) | Get-TcpSegment).Count
            @(Get-TcpSegment -LiteralPath ([IO.Path]::Combine($d, '[odd].pcap'))).Count
            @([pscustomobject]@{ Path = ([IO.Path]::Combine($d, 'a.pcap')) } | Get-TcpSegment).Count
            """, variables: Vars(("d", dir.Path))).AssertNoErrors();
        Assert.Equal(new[] { v4 + v6, v4, v6, v4, v4 }, run.Output.Select(o => (int)o.BaseObject).ToArray());
    }

    [Fact]
    public void Each_bad_file_gets_its_own_error_and_the_good_files_still_run()
    {
        using var dir = new TempDir();
        var good = File.ReadAllBytes(Ipv4);
        int total = CaptureFiles.TsharkSegmentCount("eth-ipv4.pcap");
        var records = CaptureFiles.PcapRecordOffsets(good);
        var corrupt = (byte[])good.Clone();
        BitConverter.GetBytes(0x7FFF_0000u).CopyTo(corrupt, records[3] + 8); // frame 4's captured length
        var unsupported = (byte[])good.Clone();
        unsupported[20] = 147; // LINKTYPE_USER0
        string missing = Path.Combine(dir.Path, "missing.pcap");
        var files = new[]
        {
            missing,
            dir.Path,
            dir.File("empty.pcap", Array.Empty<byte>()),
            dir.File("notes.pcap", "this is not a capture\n"u8.ToArray()),
            dir.File("truncated.pcap", good[..^10]),
            dir.File("corrupt.pcap", corrupt),
            dir.File("user0.pcap", unsupported),
            Ipv4,
        };
        var run = PowerShellRun.Invoke("Get-TcpSegment -LiteralPath $files", variables: Vars(("files", files)));
        Assert.Null(run.Terminating);
        var errors = run.Errors.Select(e => (Id: e.FullyQualifiedErrorId.Split(',')[0], e.CategoryInfo.Category, Target: (string)e.TargetObject)).ToList();
        Assert.Equal(new[]
        {
            ("PathNotFound", ErrorCategory.ObjectNotFound, missing),
            ("PathIsDirectory", ErrorCategory.InvalidArgument, dir.Path),
            ("CaptureFileEmpty", ErrorCategory.InvalidData, files[2]),
            ("CaptureFileNotACapture", ErrorCategory.InvalidData, files[3]),
            ("CaptureFileTruncated", ErrorCategory.InvalidData, files[4]),
            ("CaptureFileCorruptRecord", ErrorCategory.InvalidData, files[5]),
            ("CaptureFileUnsupportedLinkType", ErrorCategory.NotImplemented, files[6]),
        }, errors);
        var segments = run.Objects<TcpTools.TcpSegment>();
        // Truncated: all frames but the last; corrupt: the three before frame 4; then the good file whole.
        Assert.Equal(total - 1, segments.Count(s => s.CaptureFile == files[4]));
        Assert.Equal(3, segments.Count(s => s.CaptureFile == files[5]));
        Assert.Equal(total, segments.Count(s => s.CaptureFile == Ipv4));
        Assert.Contains("frame", run.Errors[4].ErrorDetails.Message);
        Assert.All(run.Errors, e => Assert.Contains(Path.GetFileName((string)e.TargetObject), e.ErrorDetails?.Message ?? e.Exception.Message));
    }

    [Fact]
    public void Wildcard_that_matches_nothing_is_an_error()
    {
        var run = PowerShellRun.Invoke("Get-TcpSegment -Path ([IO.Path]::Combine($d, '*.nothing'))", variables: Vars(("d", Path.GetTempPath())));
        var e = Assert.Single(run.Errors);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
    }

    [Fact]
    public void Verbose_counts_what_was_skipped()
    {
        var run = PowerShellRun.Invoke("Get-TcpSegment -Path $p -Verbose", variables: Vars(("p", Ipv6))).AssertNoErrors();
        string verbose = Assert.Single(run.Verbose);
        int segments = CaptureFiles.TsharkSegmentCount("eth-ipv6.pcap");
        Assert.Contains($"{segments} TCP segments", verbose);
        Assert.Contains("not TCP", verbose);
        Assert.Contains("Pcap", verbose);
    }

    [Fact]
    public void Stop_ends_a_long_read_promptly()
    {
        using var dir = new TempDir();
        string big = dir.File("big.pcap", CaptureFiles.Repeat(File.ReadAllBytes(Ipv4), 50_000));
        var iss = System.Management.Automation.Runspaces.InitialSessionState.CreateDefault2();
        iss.ImportPSModule(Repo.ModuleManifest);
        using var runspace = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddCommand("Get-TcpSegment").AddParameter("Path", big);
        var output = new PSDataCollection<PSObject>();
        var started = new System.Threading.ManualResetEventSlim();
        output.DataAdded += (_, _) => started.Set();
        var async = ps.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "no output within 30 s");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        ps.Stop();
        watch.Stop();
        Assert.True(async.IsCompleted);
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        Assert.True(output.Count < 50_000 * CaptureFiles.TsharkSegmentCount("eth-ipv4.pcap"), "the whole file was read before Stop took effect");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {watch.Elapsed}");
    }
}
