using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using TcpTools.Engine.Probing;

namespace TcpTools.Commands;

/// <summary>
/// What Send-TcpSyn writes for each decided probe: the result (when its status is wanted), or with -Quiet one $true
/// or $false per target as given ('web01:80,443' and '198.18.0.0/24:22' are one target each): $true when every pair
/// of it is open, written as soon as its last pair is decided. A pair two targets share is probed once and counts
/// for both.
/// </summary>
internal sealed class ProbeOutput
{
    private readonly Cmdlet _cmdlet;
    private readonly ScanPlan _plan;
    private readonly bool _quiet;
    private readonly bool[] _wanted = { true, true, true };
    private readonly Dictionary<ScanTarget, (ulong Left, bool AllOpen, bool Any)> _perTarget = new();

    public ProbeOutput(Cmdlet cmdlet, ScanPlan plan, bool quiet, TcpProbeStatus[]? statuses)
    {
        _cmdlet = cmdlet;
        _plan = plan;
        _quiet = quiet;
        if (statuses is { Length: > 0 })
        {
            _wanted = new bool[3];
            foreach (var s in statuses)
            {
                _wanted[(int)s] = true;
            }
        }
        if (quiet)
        {
            foreach (var t in plan.Targets)
            {
                _perTarget[t] = ((ulong)t.Pairs, true, false);
            }
        }
    }

    /// <summary>Open, closed, filtered so far.</summary>
    public long[] Counts { get; } = new long[3];

    /// <summary>The outcomes the scanner should write as objects: none with -Quiet (only counted), else those -Status asks for.</summary>
    public TcpProbeStatus[]? Report => _quiet ? Array.Empty<TcpProbeStatus>() : _wanted.All(w => w) ? null : Enumerable.Range(0, 3).Where(i => _wanted[i]).Select(i => (TcpProbeStatus)i).ToArray();

    public void Write(TcpProbeResult result)
    {
        Counts[(int)result.Status]++;
        if (_quiet)
        {
            Answer(result.IPAddress, result.Port, result.IsOpen);
        }
        else if (_wanted[(int)result.Status])
        {
            _cmdlet.WriteObject(result);
        }
    }

    /// <summary>A probe decided without an object (not wanted, or -Quiet).</summary>
    public void Count(ProbeOutcome outcome)
    {
        Counts[(int)outcome.Status]++;
        if (_quiet)
        {
            Answer(outcome.Address, outcome.Port, outcome.Status == TcpProbeStatus.Open);
        }
    }

    private void Answer(System.Net.IPAddress address, ushort port, bool open)
    {
        foreach (var target in _plan.TargetsOf(address, port))
        {
            var (left, allOpen, _) = _perTarget[target];
            _perTarget[target] = (left - 1, allOpen && open, true);
            if (left == 1)
            {
                _cmdlet.WriteObject(allOpen && open);
            }
        }
    }

    /// <summary>-Quiet: $false for each target some of whose pairs were never decided (unreachable next hops: not all open).</summary>
    public void Finish()
    {
        foreach (var (_, (left, _, any)) in _perTarget)
        {
            if (left > 0 && any)
            {
                _cmdlet.WriteObject(false);
            }
        }
    }
}
