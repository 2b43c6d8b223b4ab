using System;
using System.Collections.Generic;
using SharpPcap;
using SharpPcap.LibPcap;

namespace TcpTools.Engine.Capture;

/// <summary>
/// A BPF filter (tcpdump syntax) compiled by libpcap, applied to frames read from files. One program per link
/// type, compiled on first use, because pcapng files can mix link types.
/// </summary>
public sealed class BpfFilter : IDisposable
{
    private readonly Dictionary<LinkType, BpfProgram> _programs = new();

    /// <summary>Compiles the expression for Ethernet once, so a bad expression fails before any file is read.</summary>
    public BpfFilter(string expression)
    {
        Expression = expression;
        Compile(LinkType.Ethernet);
    }

    public string Expression { get; }

    /// <summary>True when the frame passes the filter.</summary>
    public bool Matches(LinkType linkType, ReadOnlySpan<byte> frame)
    {
        if (!_programs.TryGetValue(linkType, out var program))
        {
            program = Compile(linkType);
        }
        return program.Matches(frame);
    }

    public void Dispose()
    {
        foreach (var p in _programs.Values)
        {
            p.Dispose();
        }
        _programs.Clear();
    }

    private BpfProgram Compile(LinkType linkType)
    {
        BpfProgram program;
        try
        {
            program = BpfProgram.Create((PacketDotNet.LinkLayers)linkType, Expression, 1, 0);
        }
        catch (PcapException e)
        {
            throw new CaptureFilterException(Expression, e.Message);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new PcapUnavailableException(e);
        }
        _programs[linkType] = program;
        return program;
    }
}
