using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using TcpTools.PowerShell.Tests.Lab;

namespace TcpTools.PowerShell.Tests;

/// <summary>Export-TcpCapture, Get-TcpCaptureDevice, -Interface completion and live-capture errors through PowerShell.</summary>
public class ExportAndDeviceTests
{
    private static readonly string States = Repo.Sample("tcp-states.pcap");

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Theory]
    [InlineData("out.pcapng")]
    [InlineData("out.pcap")]
    public void Export_writes_the_same_frames_and_timestamps_it_was_given(string name)
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, name);
        var run = PowerShellRun.Invoke("""
            $a = @(Get-TcpSegment -Path $p)
            $a | Export-TcpCapture -Path $f
            $b = @(Get-TcpSegment -Path $f)
            [pscustomobject]@{ A = $a; B = $b }
            """, variables: Vars(("p", States), ("f", file))).AssertNoErrors();
        var o = Assert.Single(run.Output);
        var (a, b) = (Segments(o, "A"), Segments(o, "B"));
        Assert.Equal(70, a.Length);
        Assert.Equal(a.Select(s => (s.UnixTimeNanoseconds, s.FrameLength, Convert.ToHexString(s.GetFrame()))),
            b.Select(s => (s.UnixTimeNanoseconds, s.FrameLength, Convert.ToHexString(s.GetFrame()))));
        byte[] head = File.ReadAllBytes(file)[..4];
        Assert.Equal(name.EndsWith(".pcapng", StringComparison.Ordinal) ? "0A0D0D0A" : "4D3CB2A1", Convert.ToHexString(head));
    }

    [Fact]
    public void Export_refuses_to_overwrite_without_Force_and_appends_with_Append()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "x.pcapng");
        var run = PowerShellRun.Invoke("""
            Get-TcpSegment -Path $p | Export-TcpCapture -Path $f
            Get-TcpSegment -Path $p | Export-TcpCapture -Path $f
            'after'
            @(Get-TcpSegment -Path $f).Count
            Get-TcpSegment -Path $p | Export-TcpCapture -Path $f -Append
            @(Get-TcpSegment -Path $f).Count
            Get-TcpSegment -Path $p | Select-Object -First 5 | Export-TcpCapture -Path $f -Force
            @(Get-TcpSegment -Path $f).Count
            """, variables: Vars(("p", States), ("f", file)));
        var e = Assert.Single(run.Errors);
        Assert.Equal(("CaptureFileExists", ErrorCategory.ResourceExists, file), (e.FullyQualifiedErrorId.Split(',')[0], e.CategoryInfo.Category, (string)e.TargetObject));
        Assert.Equal(new object[] { "after", 70, 140, 5 }, run.Output.Select(x => x.BaseObject));
    }

    [Fact]
    public void Appending_to_pcap_continues_it_and_a_new_link_type_is_refused_per_segment()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "x.pcap");
        var run = PowerShellRun.Invoke("""
            Get-TcpSegment -Path $eth | Export-TcpCapture -Path $f
            Get-TcpSegment -Path $sll, $eth | Export-TcpCapture -Path $f -Append
            @(Get-TcpSegment -Path $f).Count
            @(Get-TcpSegment -Path $eth).Count
            """, variables: Vars(("eth", Repo.Capture("eth-ipv4.pcap")), ("sll", Repo.Capture("sll-ipv4.pcap")), ("f", file)));
        Assert.NotEmpty(run.Errors);
        Assert.All(run.Errors, e => Assert.Equal(("LinkTypeMismatch", ErrorCategory.InvalidData), (e.FullyQualifiedErrorId.Split(',')[0], e.CategoryInfo.Category)));
        Assert.Contains("pcapng", run.Errors[0].Exception.Message, StringComparison.Ordinal);
        int total = (int)run.Output[0].BaseObject, eth = (int)run.Output[1].BaseObject;
        Assert.Equal(2 * eth, total); // every Ethernet segment written twice; no Linux-cooked one slipped in
    }

    [Fact]
    public void Pcapng_keeps_several_link_types_and_interfaces()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "mixed.pcapng");
        var run = PowerShellRun.Invoke("""
            Get-TcpSegment -Path $sll, $multi | Export-TcpCapture -Path $f
            Get-TcpSegment -Path $f | ForEach-Object { "$($_.LinkType)/$($_.InterfaceName)" } | Sort-Object -Unique
            """, variables: Vars(("sll", Repo.Capture("sll-ipv4.pcap")), ("multi", Repo.Capture("multi-if.pcapng")), ("f", file))).AssertNoErrors();
        var kinds = run.Output.Select(o => (string)o.BaseObject).ToList();
        Assert.Contains(kinds, k => k.StartsWith("LinuxSll/", StringComparison.Ordinal));
        Assert.True(kinds.Count(k => k.StartsWith("Ethernet/", StringComparison.Ordinal)) >= 2, string.Join(", ", kinds));
    }

    [Fact]
    public void Export_of_nothing_is_a_valid_empty_capture_and_append_keeps_the_files_format()
    {
        using var dir = new TempDir();
        string empty = Path.Combine(dir.Path, "empty.pcap"), odd = Path.Combine(dir.Path, "odd.cap");
        var run = PowerShellRun.Invoke("""
            @() | Export-TcpCapture -Path $e
            @(Get-TcpSegment -Path $e).Count
            Get-TcpSegment -Path $p | Export-TcpCapture -Path $o -Format PcapNg
            Get-TcpSegment -Path $p | Export-TcpCapture -Path $o -Append
            @(Get-TcpSegment -Path $o).Count
            """, variables: Vars(("e", empty), ("o", odd), ("p", States))).AssertNoErrors();
        Assert.Equal(new object[] { 0, 140 }, run.Output.Select(x => x.BaseObject));
        Assert.Equal(24, new FileInfo(empty).Length); // the pcap header alone
        Assert.Equal("0A0D0D0A", Convert.ToHexString(File.ReadAllBytes(odd)[..4])); // .cap, but pcapng as first written
    }

    [Fact]
    public void Export_WhatIf_writes_nothing()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "w.pcapng");
        var run = PowerShellRun.Invoke("Get-TcpSegment -Path $p | Export-TcpCapture -Path $f -WhatIf", variables: Vars(("p", States), ("f", file))).AssertNoErrors();
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Interface_completes_with_the_devices_libpcap_sees()
    {
        var run = PowerShellRun.Invoke("""
            $line = 'Get-TcpSegment -Interface l'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText
            """).AssertNoErrors();
        Assert.Contains("lo", run.Output.Select(o => (string)o.BaseObject));
    }

    [NamespaceFact]
    public void Get_TcpCaptureDevice_lists_loopback_with_its_addresses_and_link_type()
    {
        var run = PowerShellRun.Invoke("Get-TcpCaptureDevice -Name lo; Get-TcpCaptureDevice -Name nosuch0; Get-TcpCaptureDevice -Name 'l*'");
        var lo = run.Objects<TcpCaptureDevice>();
        Assert.Equal(2, lo.Count);
        Assert.All(lo, d => Assert.Equal("lo", d.Name));
        Assert.True(lo[0].IsLoopback && lo[0].IsUp);
        Assert.Contains(lo[0].Addresses, a => a.ToString() == "127.0.0.1");
        Assert.Equal(LinkType.Ethernet, lo[0].LinkType); // Linux captures loopback as Ethernet
        var e = Assert.Single(run.Errors);
        Assert.Equal(("InterfaceNotFound", ErrorCategory.ObjectNotFound, "nosuch0"), (e.FullyQualifiedErrorId.Split(',')[0], e.CategoryInfo.Category, (string)e.TargetObject));
        Assert.Contains("lo", e.Exception.Message, StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void Live_capture_errors_name_the_problem()
    {
        var run = PowerShellRun.Invoke("""
            Get-TcpSegment -Interface nosuch0 -Count 1
            Get-TcpSegment -Interface lo -Filter 'tcp port eighty' -Count 1
            Get-TcpFlow -Interface lo -Duration 0.3 -Filter 'host 127.0.0.99'
            'done'
            """);
        Assert.Equal(2, run.Errors.Count);
        var notFound = run.Errors[0];
        Assert.Equal(("InterfaceNotFound", ErrorCategory.ObjectNotFound, "nosuch0"), (notFound.FullyQualifiedErrorId.Split(',')[0], notFound.CategoryInfo.Category, (string)notFound.TargetObject));
        Assert.Contains(" lo", notFound.Exception.Message, StringComparison.Ordinal); // the valid names are listed
        var filter = run.Errors[1];
        Assert.Equal(("InvalidCaptureFilter", ErrorCategory.InvalidArgument), (filter.FullyQualifiedErrorId.Split(',')[0], filter.CategoryInfo.Category));
        Assert.Contains("tcp port eighty", filter.Exception.Message, StringComparison.Ordinal);
        // -Duration 0.3 is 0.3 seconds (not ticks), and a quiet capture ends with an empty flow table.
        Assert.Equal("done", Assert.Single(run.Output).BaseObject);
    }

    private static TcpSegment[] Segments(PSObject o, string name) =>
        ((object[])o.Properties[name].Value).Select(x => (TcpSegment)((PSObject)x).BaseObject).ToArray();
}
