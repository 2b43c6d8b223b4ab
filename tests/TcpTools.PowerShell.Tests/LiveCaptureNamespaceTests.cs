using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.PowerShell.Tests.Lab;
using static TcpTools.PowerShell.Tests.FlowStateNamespaceTests;

namespace TcpTools.PowerShell.Tests;

/// <summary>
/// Live capture on a namespace's veth, through PowerShell running inside that namespace: real connections between
/// two Linux stacks while Get-TcpFlow / Get-TcpSegment -Interface capture them.
/// </summary>
[Trait("Category", "Namespace")]
[Collection(NamespaceCollection.Name)]
public class LiveCaptureNamespaceTests
{
    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Live_Get_TcpFlow_reports_the_states_ss_shows(bool ipv6)
    {
        using var lab = new NetworkLab();
        DropAfterCapturePoint(lab);
        using var live = LivePowerShell.Start(lab.Client, "Get-TcpFlow -Interface $i -Filter tcp -Duration 4 -Verbose", Vars(("i", lab.ClientVeth)));
        var sockets = new List<Socket>();
        var clients = Drive(lab, ipv6, sockets);
        Assert.True(live.Wait(TimeSpan.FromSeconds(20)), "-Duration 4 did not end the capture");
        var clientSockets = lab.Sockets(lab.Client);
        var serverSockets = lab.Sockets(lab.Server);
        live.AssertNoErrors();

        var flows = live.Items<TcpConnectionState>().Select(i => i.Item).ToList();
        var report = CompareWithSs(flows, clients, clientSockets, serverSockets, ipv6, ReceiptReadingOfLossAfterCapture);
        Assert.True(report.Count == 0, string.Join("\n", report) + "\nverbose: " + string.Join("\n", live.Verbose));
        Assert.Contains(live.Verbose, v => v.StartsWith(lab.ClientVeth + ": ", StringComparison.Ordinal) && v.Contains(" 0 dropped by the kernel", StringComparison.Ordinal));
        Assert.Empty(live.Warnings);
        sockets.ForEach(s => s.Dispose());
    }

    [NamespaceFact]
    public void Live_Get_TcpFlow_Count_ends_the_capture_after_that_many_segments_and_writes_the_flow()
    {
        // A fresh namespace carries nothing but this connection: its first three TCP segments are the handshake.
        // -Count 3 must end the capture there (long before -Duration 60) and write the flow as those three left it.
        using var lab = new NetworkLab();
        using var live = LivePowerShell.Start(lab.Client, "Get-TcpFlow -Interface $i -Count 3 -Duration 60 -Verbose", Vars(("i", lab.ClientVeth)));
        using var listener = lab.Listen(lab.Server, false, 6002);
        using var client = lab.Socket(lab.Client, false);
        client.Connect(new IPEndPoint(NetworkLab.Address(false, false), 6002));
        using var server = listener.Accept();
        Assert.True(live.Wait(TimeSpan.FromSeconds(30)), "-Count 3 did not end the capture");
        live.AssertNoErrors();
        var flow = Assert.Single(live.Items<TcpConnectionState>().Select(i => i.Item));
        Assert.Equal((6002, 3L), ((int)flow.ServerPort, flow.Packets));
        Assert.Equal((TcpState.Established, TcpState.Established), (flow.ClientState, flow.ServerState));
        Assert.Equal("ShA", flow.History);
    }

    [NamespaceFact]
    public void Watch_emits_each_state_change_as_it_happens_and_in_order()
    {
        using var lab = new NetworkLab();
        using var live = LivePowerShell.Start(lab.Client, "Get-TcpFlow -Interface $i -Watch -Duration 4 -Verbose", Vars(("i", lab.ClientVeth)));
        using var listener = lab.Listen(lab.Server, false, 6001);
        using var client = lab.Socket(lab.Client, false);
        client.Connect(new IPEndPoint(NetworkLab.Address(false, false), 6001));
        using var server = listener.Accept();
        client.Send(new byte[10]);
        server.ReceiveExactly(10);
        Thread.Sleep(300);
        client.Shutdown(SocketShutdown.Send);          // FIN_WAIT_1, then FIN_WAIT_2 once acknowledged
        server.ReceiveExactly(0);
        Thread.Sleep(300);                             // longer than Linux's delayed ACK: the FIN's ACK goes alone
        server.Shutdown(SocketShutdown.Send);          // LAST_ACK, then the client's ACK: TIME_WAIT
        client.ReceiveExactly(0);
        var changedAt = live.Now;
        Assert.True(live.Wait(TimeSpan.FromSeconds(20)));
        live.AssertNoErrors();

        var changes = live.Items<TcpConnectionState>().Where(i => i.Item.ServerPort == 6001).ToList();
        // State is the endpoint further along; on receipt the client is ESTABLISHED when the SYN-ACK arrives and in
        // TIME_WAIT when the server's FIN does (the server in LAST_ACK until the client's ACK).
        Assert.Equal(new[] { TcpState.SynSent, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.TimeWait },
            changes.Select(c => c.Item.State));
        Assert.Equal((TcpState.TimeWait, TcpState.LastAck), (changes[^1].Item.ClientState, changes[^1].Item.ServerState));
        Assert.Equal((TcpState.FinWait2, TcpState.CloseWait), (changes[3].Item.ClientState, changes[3].Item.ServerState));
        // Streamed: the TIME_WAIT object arrived while the capture was still running, not at its end.
        Assert.True(changes[^1].At < live.EndedAt - TimeSpan.FromSeconds(1), $"TIME_WAIT came at {changes[^1].At}, the capture ended at {live.EndedAt}");
        Assert.True(changes[^1].At >= changedAt - TimeSpan.FromSeconds(1));
    }

    [NamespaceFact]
    public void Stopping_a_live_capture_ends_it_within_a_second_and_closes_the_device()
    {
        using var lab = new NetworkLab();
        using var live = LivePowerShell.Start(lab.Client, "Get-TcpSegment -Interface $i -Verbose", Vars(("i", lab.ClientVeth)));
        Thread.Sleep(500);
        var stopAt = live.Now;
        live.Stop();
        Assert.True(live.Wait(TimeSpan.FromSeconds(10)));
        Assert.True(live.EndedAt - stopAt < TimeSpan.FromSeconds(1), $"stopped after {live.EndedAt - stopAt}");
        // The device was closed: a fresh capture opens at once, and no packet socket is left in the namespace.
        Assert.DoesNotContain("p_", lab.Exec(lab.Client, "ss", "-0", "-H").Trim(), StringComparison.Ordinal);
    }

    [NamespaceTheory]
    [InlineData("pcapng")]
    [InlineData("pcap")]
    public void Exported_live_segments_are_read_back_by_tshark_packet_for_packet(string extension)
    {
        using var lab = new NetworkLab();
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "live." + extension);
        using var live = LivePowerShell.Start(lab.Client,
            "$s = @(Get-TcpSegment -Interface $i -Duration 3 -Verbose); $s | Export-TcpCapture -Path $f; $s",
            Vars(("i", lab.ClientVeth), ("f", file)));
        using (var listener = lab.Listen(lab.Server, true, 6002))
        using (var client = lab.Socket(lab.Client, true))
        {
            client.Connect(new IPEndPoint(NetworkLab.Address(false, true), 6002));
            using var server = listener.Accept();
            for (int i = 0; i < 3; i++)
            {
                client.Send(new byte[100 + i]);
                server.ReceiveExactly(100 + i);
                server.Send(new byte[200 + i]);
                client.ReceiveExactly(200 + i);
            }
            client.Close();
            server.Close();
        }
        Assert.True(live.Wait(TimeSpan.FromSeconds(30)));
        live.AssertNoErrors();
        var captured = live.Items<TcpSegment>().Select(i => i.Item).ToList();
        Assert.True(captured.Count >= 12, $"{captured.Count} segments captured");

        // The file holds the same frames, byte for byte, with the same nanosecond timestamps.
        using (var reader = TcpTools.Engine.Capture.CaptureFileSegmentReader.Open(file, null))
        {
            int k = 0;
            while (reader.TryReadNext(out TcpSegment? back))
            {
                Assert.True(k < captured.Count);
                Assert.Equal(captured[k].UnixTimeNanoseconds, back.UnixTimeNanoseconds);
                Assert.Equal(captured[k].GetFrame(), back.GetFrame());
                Assert.Equal(captured[k].FrameLength, back.FrameLength);
                k++;
            }
            Assert.Equal(captured.Count, k);
        }

        // tshark's reading of the exported file, field by field against what was captured.
        string tsv = Sh.Run("tshark", "-r", file, "-T", "fields", "-E", "separator=\t", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len",
            "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw", "-e", "tcp.flags", "-e", "tcp.len");
        var rows = tsv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        Assert.Equal(captured.Count, rows.Count);
        for (int n = 0; n < rows.Count; n++)
        {
            var s = captured[n];
            var r = rows[n];
            Assert.Equal(EpochText(s.UnixTimeNanoseconds), r[0]);
            Assert.Equal((s.FrameLength.ToString(CultureInfo.InvariantCulture), s.CapturedLength.ToString(CultureInfo.InvariantCulture)), (r[1], r[2]));
            Assert.Equal(s.SourceAddress.ToString(), r[3]);
            Assert.Equal((s.SourcePort.ToString(CultureInfo.InvariantCulture), s.DestinationPort.ToString(CultureInfo.InvariantCulture)), (r[4], r[5]));
            Assert.Equal((s.SequenceNumber.ToString(CultureInfo.InvariantCulture), s.AcknowledgmentNumber.ToString(CultureInfo.InvariantCulture)), (r[6], r[7]));
            Assert.Equal((int)s.Flags, Convert.ToInt32(r[8], 16));
            Assert.Equal(s.PayloadLength.ToString(CultureInfo.InvariantCulture), r[9]);
        }
        Assert.Contains(captured, s => (s.Flags & TcpFlags.Syn) != 0);
        Assert.Contains(captured, s => (s.Flags & TcpFlags.Fin) != 0);
        Assert.All(captured, s => Assert.Equal(lab.ClientVeth, s.InterfaceName));
        if (extension == "pcapng")
        {
            // pcapng keeps the interface's name.
            Assert.All(Tshark(file, "frame.interface_name"), name => Assert.Equal(lab.ClientVeth, name));
        }
    }

    [NamespaceFact]
    public void Without_privileges_capture_is_PermissionDenied_and_says_how_to_fix_it()
    {
        using var lab = new NetworkLab();
        string home = Path.Combine(Path.GetTempPath(), "ttnobody");
        Directory.CreateDirectory(home);
        // The host run as 'nobody' with no capabilities, inside the client namespace.
        var (code, stdout, stderr) = Sh.Try("ip", "netns", "exec", lab.Client, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all", "env", "HOME=" + home, "DOTNET_CLI_HOME=" + home, Repo.HostExecutable, "-Command",
            $"Get-TcpSegment -Interface {lab.ClientVeth} -Count 1; $Error[0].CategoryInfo.Category; $Error[0].FullyQualifiedErrorId");
        Assert.NotEqual(0, code);
        Assert.Contains("Not permitted to capture on '" + lab.ClientVeth + "'", stderr, StringComparison.Ordinal);
        Assert.Contains("setcap cap_net_raw,cap_net_admin+eip", stderr, StringComparison.Ordinal);
        Assert.Contains("PermissionDenied", stdout, StringComparison.Ordinal);
        Assert.Contains("CapturePermissionDenied", stdout, StringComparison.Ordinal);
    }

    private static string[] Tshark(string file, string field) =>
        Sh.Run("tshark", "-r", file, "-T", "fields", "-e", field).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string EpochText(long ns) =>
        (ns / 1_000_000_000).ToString(CultureInfo.InvariantCulture) + "." + (ns % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture);
}
