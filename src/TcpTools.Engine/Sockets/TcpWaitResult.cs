using System;
using System.Collections.Generic;

namespace TcpTools.Engine.Sockets;

/// <summary>How a wait ended: whether the condition held, the sockets then, and how long it took.</summary>
public sealed class TcpWaitResult
{
    internal TcpWaitResult(bool satisfied, IReadOnlyList<TcpSocket> sockets, TimeSpan elapsed, int polls, string source)
    {
        Satisfied = satisfied;
        Sockets = sockets;
        Elapsed = elapsed;
        Polls = polls;
        Source = source;
    }

    public bool Satisfied { get; }

    public IReadOnlyList<TcpSocket> Sockets { get; }

    public TimeSpan Elapsed { get; }

    public int Polls { get; }

    public string Source { get; }
}
