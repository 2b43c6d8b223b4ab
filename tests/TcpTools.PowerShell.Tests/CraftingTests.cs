using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.PowerShell.Tests.Lab;

namespace TcpTools.PowerShell.Tests;

/// <summary>New-TcpSegment, Send-TcpSegment and Send-TcpReset: crafted segments, answers, and resetting a live connection.</summary>
[Collection(NamespaceCollection.Name)]
public class CraftingTests
{
    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Theory]
    [InlineData("198.18.0.1", "198.18.0.2")]
    [InlineData("fd00:198:18::1", "fd00:198:18::2")]
    public void New_TcpSegment_builds_what_it_is_told_with_a_good_checksum(string source, string destination)
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "crafted.pcapng");
        var run = PowerShellRun.Invoke("""
            $s = New-TcpSegment -Source $src -Destination $dst -DestinationPort 443 -SourcePort 40001 -Flags 'Psh, Ack' `
                -SequenceNumber 1000 -AcknowledgmentNumber 2000 -Window 512 -Mss 1400 -SackPermitted -Timestamp 7, 9 -WindowScale 5 -Ttl 33 -PayloadText 'hello'
            $s
            $s | Export-TcpCapture -Path $f
            Get-TcpSegment -Path $f
            """, variables: Vars(("src", IPAddress.Parse(source)), ("dst", IPAddress.Parse(destination)), ("f", file))).AssertNoErrors();
        var segments = run.Objects<TcpSegment>();
        Assert.Equal(2, segments.Count);
        foreach (var s in segments)
        {
            Assert.Equal((IPAddress.Parse(source).ToString(), IPAddress.Parse(destination).ToString(), (ushort)40001, (ushort)443), (s.SourceAddress, s.DestinationAddress, s.SourcePort, s.DestinationPort));
            Assert.Equal((TcpFlags.Psh | TcpFlags.Ack, 1000u, 2000u, (ushort)512), (s.Flags, s.SequenceNumber, s.AcknowledgmentNumber, s.Window));
            Assert.Equal(((ushort?)1400, (byte?)5, true, (uint?)7, (uint?)9), (s.Options.MaximumSegmentSize, s.Options.WindowScale, s.Options.SackPermitted, s.Options.TimestampValue, s.Options.TimestampEchoReply));
            Assert.Equal(33, s.Ttl);
            Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(s.GetPayload()));
            Assert.Equal(TcpChecksumStatus.Good, s.ChecksumStatus);
            Assert.Equal(LinkType.Raw, s.LinkType);
        }
    }

    [Fact]
    public void New_TcpSegment_refuses_what_cannot_be_built()
    {
        var run = PowerShellRun.Invoke("""
            New-TcpSegment -Source 198.18.0.1 -Destination fd00:198:18::2 -DestinationPort 80
            New-TcpSegment -Source 198.18.0.1 -Destination 198.18.0.2 -DestinationPort 80 -RawOptions (,1 * 41)
            'after'
            """);
        Assert.Equal(new[] { "AddressFamilyMismatch", "OptionsTooLong" }, run.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.Equal("after", Assert.Single(run.Output).BaseObject);
    }

    [NamespaceFact]
    public void Send_TcpSegment_Wait_returns_the_answer()
    {
        using var lab = new NetworkLab();
        using var listener = lab.Listen(lab.Server, false, 7101);
        using var run = LivePowerShell.RunToEnd(lab.Client, $$"""
            New-TcpSegment -Destination {{NetworkLab.ServerV4}} -DestinationPort 7101 -SequenceNumber 5000 -Mss 1460 | Send-TcpSegment -Wait
            New-TcpSegment -Destination {{NetworkLab.ServerV4}} -DestinationPort 7102 -SequenceNumber 6000 | Send-TcpSegment -Wait -Timeout 0.5
            """);
        run.AssertNoErrors();
        var answers = run.Items<TcpSegment>().Select(i => i.Item).ToList();
        Assert.Equal(2, answers.Count);
        Assert.Equal((TcpFlags.Syn | TcpFlags.Ack, 5001u, (ushort)7101), (answers[0].Flags, answers[0].AcknowledgmentNumber, answers[0].SourcePort));
        Assert.Equal((TcpFlags.Rst | TcpFlags.Ack, 6001u, (ushort)7102), (answers[1].Flags, answers[1].AcknowledgmentNumber, answers[1].SourcePort));
    }

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Send_TcpReset_kills_a_live_connection_from_its_Get_TcpFlow_state(bool ipv6)
    {
        using var lab = new NetworkLab();
        using var dir = new TempDir();
        using var listener = lab.Listen(lab.Server, ipv6, 7201);
        var capture = lab.StartCapture(lab.Client, Path.Combine(dir.Path, "conn.pcap"));
        using var client = lab.Socket(lab.Client, ipv6);
        client.Connect(new IPEndPoint(NetworkLab.Address(false, ipv6), 7201));
        using var server = listener.Accept();
        client.Send(new byte[50]);
        server.ReceiveExactly(50);
        server.Send(new byte[70]);
        client.ReceiveExactly(70);
        Thread.Sleep(300); // the last ACKs are on the wire
        capture.Stop();
        var local = (IPEndPoint)client.LocalEndPoint!;
        Assert.Contains(lab.Sockets(lab.Client), s => s.Local.Equals(local) && s.State == TcpState.Established);

        using var run = LivePowerShell.RunToEnd(lab.Client, "Get-TcpFlow -Path $p | Send-TcpReset -Confirm:$false -PassThru", Vars(("p", capture.File)));
        run.AssertNoErrors();
        Assert.True(run.Items<TcpSegment>().Count >= 2); // at least one RST each way
        Thread.Sleep(200);

        Assert.DoesNotContain(lab.Sockets(lab.Client), s => s.Local.Equals(local));
        Assert.DoesNotContain(lab.Sockets(lab.Server), s => s.Peer.Equals(local));
        var e = Assert.Throws<SocketException>(() => client.Send(new byte[1]));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
    }

    [NamespaceFact]
    public void Send_TcpReset_WhatIf_and_explicit_endpoints()
    {
        using var lab = new NetworkLab();
        using var run = LivePowerShell.RunToEnd(lab.Client, $"Send-TcpReset -Source '{NetworkLab.ClientV4}:40000' -Destination '{NetworkLab.ServerV4}:7301' -SequenceNumber 1 -WhatIf -PassThru");
        run.AssertNoErrors();
        Assert.Empty(run.Items<TcpSegment>());
    }
}
