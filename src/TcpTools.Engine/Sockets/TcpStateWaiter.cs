using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// Waits until the sockets that match a query reach a state: some of them in one of <see cref="States"/>, and
/// none of them in any of <see cref="NotStates"/> (either may be null; "none in" holds when nothing matches).
/// Reads the socket table every <see cref="PollInterval"/> (without owners or tcp_info, which only the result needs).
/// </summary>
public sealed class TcpStateWaiter
{
    /// <summary>10 ms: a state is seen within about a poll of when the kernel enters it; a dump of a few hundred sockets costs ~0.1 ms.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(10);

    public TcpStateWaiter(TcpSocketQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        Query = query;
    }

    public TcpSocketQuery Query { get; }

    public IReadOnlyCollection<TcpState>? States { get; init; }

    public IReadOnlyCollection<TcpState>? NotStates { get; init; }

    public TimeSpan PollInterval { get; init; } = DefaultPollInterval;

    /// <summary>
    /// Polls until the condition holds, the timeout passes (false) or the token is cancelled (false). The result's
    /// sockets are, when it holds, those in <see cref="States"/> (or all that match, with only NotStates) with
    /// owners and tcp_info; when it does not, every matching socket as the last poll saw it.
    /// </summary>
    public TcpWaitResult Wait(TimeSpan timeout, CancellationToken cancel)
    {
        // Only the kernel's state mask narrows the dump when nothing must be absent; owners and tcp_info are for the result.
        var poll = Query with { States = NotStates is null ? States : null, IncludeOwners = false, IncludeInfo = false };
        long start = Stopwatch.GetTimestamp();
        IReadOnlyList<TcpSocket> last = Array.Empty<TcpSocket>();
        string source = "";
        int polls = 0;
        while (true)
        {
            var snapshot = TcpSocketTable.Read(poll);
            polls++;
            last = snapshot.Sockets;
            source = snapshot.Source;
            if (Holds(last))
            {
                // Read once more with owners and tcp_info; should the state have moved on in between, the poll's view
                // is what held.
                var full = TcpSocketTable.Read(Query with { States = NotStates is null ? States : null });
                var result = Holds(full.Sockets) ? Selected(full.Sockets) : Selected(last);
                return new TcpWaitResult(true, result, Stopwatch.GetElapsedTime(start), polls, full.Source);
            }
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= timeout || cancel.IsCancellationRequested)
            {
                if (poll.States is not null && !cancel.IsCancellationRequested)
                {
                    // The polls asked the kernel for the wanted states only; the report names what matched instead.
                    last = TcpSocketTable.Read(poll with { States = null }).Sockets;
                }
                return new TcpWaitResult(false, last, elapsed, polls, source);
            }
            TimeSpan wait = timeout - elapsed < PollInterval ? timeout - elapsed : PollInterval;
            if (cancel.WaitHandle.WaitOne(wait))
            {
                return new TcpWaitResult(false, last, Stopwatch.GetElapsedTime(start), polls, source);
            }
        }
    }

    /// <summary>Whether the condition holds for these matching sockets.</summary>
    public bool Holds(IReadOnlyList<TcpSocket> matching)
    {
        if (NotStates is { } not)
        {
            foreach (var s in matching)
            {
                if (Filters.Contains(not, s.State))
                {
                    return false;
                }
            }
        }
        if (States is { } wanted)
        {
            foreach (var s in matching)
            {
                if (Filters.Contains(wanted, s.State))
                {
                    return true;
                }
            }
            return false;
        }
        return true;
    }

    private IReadOnlyList<TcpSocket> Selected(IReadOnlyList<TcpSocket> matching)
    {
        if (States is not { } wanted)
        {
            return matching;
        }
        var list = new List<TcpSocket>();
        foreach (var s in matching)
        {
            if (Filters.Contains(wanted, s.State))
            {
                list.Add(s);
            }
        }
        return list;
    }
}
