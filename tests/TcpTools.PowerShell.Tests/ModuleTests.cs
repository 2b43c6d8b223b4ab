using System.Collections.Generic;
using System.Collections;
using System.Linq;
using System.Management.Automation;

namespace TcpTools.PowerShell.Tests;

public class ModuleTests
{
    [Fact]
    public void Imports_and_reports_the_manifest_version()
    {
        var run = PowerShellRun.Invoke($"Import-Module '{Repo.ModuleManifest}' -PassThru", importModule: false).AssertNoErrors();
        var module = Assert.IsType<PSModuleInfo>(Assert.Single(run.Output).BaseObject);
        Assert.Equal("TcpTools", module.Name);
        Assert.Equal("0.1.0", module.Version.ToString(3));
    }

    [Fact]
    public void Test_ModuleManifest_passes()
    {
        var run = PowerShellRun.Invoke($"Test-ModuleManifest -Path '{Repo.ModuleManifest}'", importModule: false).AssertNoErrors();
        var module = Assert.IsType<PSModuleInfo>(Assert.Single(run.Output).BaseObject);
        Assert.Equal(new System.Version(7, 4), module.PowerShellVersion);
        Assert.Contains("Core", module.CompatiblePSEditions);
    }

    [Fact]
    public void Exports_exactly_the_cmdlets_the_manifest_lists_and_the_assembly_defines()
    {
        var run = PowerShellRun.Invoke("""
            $manifest = (Test-ModuleManifest -Path $modulePath).ExportedCmdlets.Keys
            $exported = Get-Command -Module TcpTools -CommandType Cmdlet | ForEach-Object Name
            $defined = [TcpTools.Commands.GetTcpSegmentCommand].Assembly.GetTypes() |
                ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
                ForEach-Object { "$($_.VerbName)-$($_.NounName)" }
            @{ Manifest = @($manifest); Exported = @($exported); Defined = @($defined) }
            """, variables: new System.Collections.Generic.Dictionary<string, object?> { ["modulePath"] = Repo.ModuleManifest }).AssertNoErrors();
        var table = Assert.IsType<Hashtable>(Assert.Single(run.Output).BaseObject);
        string[] Names(object key) => ((object[])table[key]!).Select(o => o.ToString()!).OrderBy(s => s).ToArray();
        Assert.NotEmpty(Names("Manifest"));
        Assert.Equal(Names("Manifest"), Names("Exported"));
        Assert.Equal(Names("Manifest"), Names("Defined"));
    }

    [Fact]
    public void Exports_the_script_function_the_manifest_lists()
    {
        var run = PowerShellRun.Invoke("""
            @{
                Manifest = @((Test-ModuleManifest -Path $modulePath).ExportedFunctions.Keys)
                Exported = @(Get-Command -Module TcpTools -CommandType Function | ForEach-Object Name)
            }
            """, variables: new System.Collections.Generic.Dictionary<string, object?> { ["modulePath"] = Repo.ModuleManifest }).AssertNoErrors();
        var table = Assert.IsType<Hashtable>(Assert.Single(run.Output).BaseObject);
        Assert.Equal(new[] { "Invoke-TcpCommand" }, ((object[])table["Manifest"]!).Select(o => o.ToString()));
        Assert.Equal(new[] { "Invoke-TcpCommand" }, ((object[])table["Exported"]!).Select(o => o.ToString()));
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_type()
    {
        var run = PowerShellRun.Invoke("Get-Command -Module TcpTools | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Output = @($_.OutputType.Name) -join ',' } }").AssertNoErrors();
        var declared = run.Output.ToDictionary(o => (string)o.Properties["Name"].Value, o => (string)o.Properties["Output"].Value);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Export-TcpCapture"] = "System.IO.FileInfo", // with -PassThru
            ["Get-TcpCaptureDevice"] = "TcpTools.TcpCaptureDevice",
            ["Get-TcpConnection"] = "TcpTools.TcpSocket",
            ["Get-TcpFlow"] = "TcpTools.TcpConnectionState",
            ["Get-TcpSegment"] = "TcpTools.TcpSegment",
            ["New-TcpSegment"] = "TcpTools.TcpSegment",
            ["Send-TcpReset"] = "TcpTools.TcpSegment", // with -PassThru
            ["Send-TcpSegment"] = "TcpTools.TcpSegment",
            ["Send-TcpSyn"] = "TcpTools.TcpProbeResult,System.Boolean", // -Quiet: bool
            ["Trace-TcpRoute"] = "TcpTools.TcpRouteHop",
            ["Wait-TcpState"] = "TcpTools.TcpSocket,System.Boolean,TcpTools.TcpConnectionState,System.Boolean", // sockets, or with -Interface connections; -Quiet: bool
            ["Invoke-TcpCommand"] = "System.Management.Automation.PSObject", // what the script block writes, deserialized
        }, declared);
    }

    [Fact]
    public void Every_cmdlet_has_help_with_synopsis_description_examples_and_every_parameter_documented()
    {
        var run = PowerShellRun.Invoke("""
            foreach ($command in Get-Command -Module TcpTools) {
                $help = Get-Help $command.Name -Full
                $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
                $documented = @($help.parameters.parameter | Where-Object { "$($_.description.Text)".Trim().Length -gt 10 } | ForEach-Object name)
                $undocumented = @($command.Parameters.Keys | Where-Object { $_ -notin $common -and $_ -notin $documented })
                [pscustomobject]@{
                    Name = $command.Name
                    Synopsis = "$($help.Synopsis)".Trim()
                    Description = "$($help.description.Text)".Trim()
                    Examples = @($help.examples.example).Count
                    Undocumented = $undocumented -join ','
                }
            }
            """).AssertNoErrors();
        Assert.NotEmpty(run.Output);
        foreach (var o in run.Output)
        {
            string name = (string)o.Properties["Name"].Value;
            string synopsis = (string)o.Properties["Synopsis"].Value;
            Assert.True(synopsis.Length > 15 && !synopsis.StartsWith(name, System.StringComparison.Ordinal), $"{name}: synopsis '{synopsis}'");
            Assert.True(((string)o.Properties["Description"].Value).Length > 40, $"{name}: no description");
            Assert.True((int)o.Properties["Examples"].Value >= 3, $"{name}: fewer than 3 examples");
            Assert.Equal("", (string)o.Properties["Undocumented"].Value);
        }
    }

    [Fact]
    public void About_topic_is_found_by_Get_Help()
    {
        var run = PowerShellRun.Invoke("Get-Help about_TcpTools | ForEach-Object { $_.ToString() }").AssertNoErrors();
        string text = string.Join("\n", run.Output.Select(o => o.ToString()));
        Assert.Contains("about_TcpTools", text);
        Assert.Contains("Get-TcpSegment", text);
    }

    [Fact]
    public void About_TcpStates_explains_the_states_and_TIME_WAIT()
    {
        var run = PowerShellRun.Invoke("Get-Help about_TcpStates | ForEach-Object { $_.ToString() }").AssertNoErrors();
        string text = string.Join("\n", run.Output.Select(o => o.ToString()));
        Assert.Contains("about_TcpStates", text);
        Assert.Contains("TIME-WAIT", text);
        Assert.Contains("2 x MSL", text);
        Assert.DoesNotContain("Get-TcpFlow [-Path]", text); // the topic itself, not the cmdlet help it would fall back to
    }
}
