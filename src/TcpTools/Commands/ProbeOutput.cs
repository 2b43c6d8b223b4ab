using System.Collections.Generic;
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

    public void Write(TcpProbeResult result)
    {
        Counts[(int)result.Status]++;
        if (!_quiet)
        {
            if (_wanted[(int)result.Status])
            {
                _cmdlet.WriteObject(result);
            }
            return;
        }
        foreach (var target in _plan.TargetsOf(result.IPAddress, result.Port))
        {
            var (left, allOpen, _) = _perTarget[target];
            _perTarget[target] = (left - 1, allOpen && result.IsOpen, true);
            if (left == 1)
            {
                _cmdlet.WriteObject(allOpen && result.IsOpen);
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
