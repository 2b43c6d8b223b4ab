using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TcpTools.Engine.Tests;

/// <summary>Locates committed test data and reads tshark's field output (-T fields -E header=y).</summary>
internal static class TestData
{
    public static readonly string Root = FindRoot();

    public static string Captures => Path.Combine(Root, "tests", "data", "captures");

    public static string Conformance => Path.Combine(Root, "..", "shared", "conformance", "zeek");

    public static List<Dictionary<string, string>> ReadTsharkFields(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        var header = lines[0].Split('\t');
        return lines.Skip(1).Select(line =>
        {
            var cells = line.Split('\t');
            var row = new Dictionary<string, string>();
            for (int i = 0; i < header.Length; i++)
            {
                row[header[i]] = i < cells.Length ? cells[i] : "";
            }
            return row;
        }).ToList();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TcpTools.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("TcpTools.sln not found above " + AppContext.BaseDirectory);
    }
}
