using System.Net;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Probing;

/// <summary>One address and port being probed; reused for another once decided (<see cref="Id"/> tells the uses apart).</summary>
internal sealed class ScanProbe
{
    /// <summary>Changes on every reuse, so a timeout queued for an earlier use is recognised as stale.</summary>
    public long Id { get; set; }

    public string Target { get; set; } = "";

    public IPAddress Address { get; set; } = IPAddress.None;

    public IPAddressValue AddressValue { get; set; }

    public ushort Port { get; set; }

    public uint Seq { get; set; }

    public int Attempts { get; set; }

    public long SentUnixNs { get; set; }

    /// <summary>The rate's cohort of the first SYN (<see cref="ScanRate.Cohort"/>).</summary>
    public long Cohort { get; set; }

    public ProbePath Path { get; set; } = null!;
}
