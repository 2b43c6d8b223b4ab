using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace TcpTools.Engine.Probing;

/// <summary>A doubt about what a scan found, with the host it concerns (null for the whole scan).</summary>
public sealed record ScanWarning(string Code, IPAddress? Address, string Message);

/// <summary>
/// Checks no peer makes on the answers of a scan: a SYN-ACK offering window 0 (a tarpit such as LaBrea holds the
/// connection and accepts nothing), SYN-ACKs whose TTL differs from the same host's RSTs (another box, a proxy,
/// load balancer or firewall, answers for some ports), every port of a host open (a tarpit, or a middlebox that
/// answers SYNs for it), and answers from addresses the scan never probed (spoofing, NAT or anycast in between).
/// Each is a <see cref="ScanWarning"/> (once per host) and a name in <see cref="TcpProbeResult.Warnings"/> of the
/// open results it concerns.
/// </summary>
internal sealed class ScanSanity
{
    /// <summary>Below this many ports a host with all of them open is ordinary.</summary>
    public const int EveryPortOpenMinimum = 50;

    private const int MaxHosts = 1_000_000;
    private const int OpenKeptPerHost = 70_000;
    private const int OpenKeptInAll = 1_000_000;
    private readonly Dictionary<Decoding.IPAddressValue, Host> _hosts = new();
    private readonly List<ScanWarning> _warnings = new();
    private readonly Dictionary<IPAddress, int> _strays = new();
    private long _kept;

    /// <summary>Warnings found so far (those decided at the end come with <see cref="Finish"/>).</summary>
    public List<ScanWarning> Warnings => _warnings;

    /// <summary>One decided probe: its answer's TTL and window (-1 when none), and its result object when one is written.</summary>
    public void Add(Decoding.IPAddressValue key, IPAddress address, ushort port, TcpProbeStatus status, int ttl, int window, TcpProbeResult? result)
    {
        if (status == TcpProbeStatus.Filtered)
        {
            return;
        }
        if (!_hosts.TryGetValue(key, out var host))
        {
            if (_hosts.Count >= MaxHosts)
            {
                return; // beyond a million answering hosts the checks stop taking new ones: memory stays bounded
            }
            _hosts[key] = host = new Host(address);
        }
        if (status == TcpProbeStatus.Closed)
        {
            host.Closed++;
            if (host.ResetTtl < 0)
            {
                host.ResetTtl = ttl;
                CheckTtl(address, host);
            }
            return;
        }
        host.Open++;
        host.SynAckTtls.Add(ttl);
        if (result != null && host.Opens.Count < OpenKeptPerHost && _kept < OpenKeptInAll)
        {
            host.Opens.Add(result);
            _kept++;
        }
        if (window == 0)
        {
            result?.AddWarning("ZeroWindow");
            if (!host.ZeroWindowWarned)
            {
                host.ZeroWindowWarned = true;
                _warnings.Add(new ScanWarning("ZeroWindow", address,
                    $"{address} port {port} answered with a SYN-ACK offering window 0: a tarpit (LaBrea and kin hold connections and accept no data), not a usable service."));
            }
        }
        if (host.ResetTtl >= 0)
        {
            CheckTtl(address, host);
        }
        if (host.TtlWarned && ttl != host.ResetTtl)
        {
            result?.AddWarning("TtlDiffersFromResets");
        }
    }

    /// <summary>A SYN-ACK or RST to the scan's source port from an address the scan does not probe.</summary>
    public void Stray(IPAddress from)
    {
        _strays[from] = _strays.GetValueOrDefault(from) + 1;
    }

    /// <summary>The checks that need every answer: every port open; answers from unprobed addresses.</summary>
    public void Finish()
    {
        foreach (var host in _hosts.Values)
        {
            var address = host.Address;
            if (host.Open >= EveryPortOpenMinimum && host.Closed == 0)
            {
                foreach (var r in host.Opens)
                {
                    r.AddWarning("EveryPortOpen");
                }
                _warnings.Add(new ScanWarning("EveryPortOpen", address,
                    $"{address}: every one of the {host.Open:N0} ports that answered is open and none closed: a tarpit, or a middlebox answering SYNs for the host, rather than {host.Open:N0} services."));
            }
        }
        if (_strays.Count > 0)
        {
            var top = _strays.OrderByDescending(s => s.Value).Take(3).Select(s => $"{s.Key} ({s.Value})");
            _warnings.Add(new ScanWarning("UnprobedAnswers", null,
                $"{_strays.Values.Sum():N0} SYN-ACKs or RSTs to the scan's source port came from {_strays.Count:N0} addresses it did not probe ({string.Join(", ", top)}): spoofing, NAT or anycast between here and the targets, or another scan using the same port."));
        }
    }

    private void CheckTtl(IPAddress address, Host host)
    {
        if (host.TtlWarned || host.ResetTtl < 0 || host.SynAckTtls.All(t => t == host.ResetTtl))
        {
            return;
        }
        host.TtlWarned = true;
        foreach (var r in host.Opens.Where(r => r.Ttl != host.ResetTtl))
        {
            r.AddWarning("TtlDiffersFromResets");
        }
        _warnings.Add(new ScanWarning("TtlDiffersFromResets", address,
            $"{address}: SYN-ACKs arrive with TTL {string.Join("/", host.SynAckTtls.Where(t => t != host.ResetTtl).Order())} but its RSTs with TTL {host.ResetTtl}: another box (a proxy, load balancer or firewall) answers for some ports."));
    }

    private sealed class Host(IPAddress address)
    {
        public readonly IPAddress Address = address;
        public int Open;
        public int Closed;
        public int ResetTtl = -1;
        public bool TtlWarned;
        public bool ZeroWindowWarned;
        public readonly HashSet<int> SynAckTtls = new();
        public readonly List<TcpProbeResult> Opens = new();
    }
}
