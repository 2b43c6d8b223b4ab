using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TcpTools.PowerShell.Tests;

/// <summary>Facts about the committed reference captures, and damaged copies of them for error tests.</summary>
internal static class CaptureFiles
{
    /// <summary>TCP segments in a capture: the rows of tshark's reading committed beside it.</summary>
    public static int TsharkSegmentCount(string captureName) => TsharkRows(captureName).Count;

    public static List<string[]> TsharkRows(string captureName)
    {
        string tsv = Repo.Capture(Path.GetFileNameWithoutExtension(captureName) + ".tshark.tsv");
        return File.ReadAllLines(tsv).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToList();
    }

    /// <summary>Offsets of each record header in a little-endian microsecond/nanosecond pcap.</summary>
    public static List<int> PcapRecordOffsets(byte[] pcap)
    {
        var offsets = new List<int>();
        int at = 24;
        while (at + 16 <= pcap.Length)
        {
            offsets.Add(at);
            at += 16 + (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 8));
        }
        return offsets;
    }

    /// <summary>A pcap of <paramref name="copies"/> repetitions of a capture's records (for long-running reads).</summary>
    public static byte[] Repeat(byte[] pcap, int copies)
    {
        var ms = new MemoryStream();
        ms.Write(pcap, 0, 24);
        for (int i = 0; i < copies; i++)
        {
            ms.Write(pcap, 24, pcap.Length - 24);
        }
        return ms.ToArray();
    }
}
