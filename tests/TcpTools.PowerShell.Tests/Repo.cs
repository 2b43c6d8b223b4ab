using System;
using System.IO;

namespace TcpTools.PowerShell.Tests;

/// <summary>Paths in the repository and the built output.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string ModuleManifest => Path.Combine(Root, "out", "TcpTools", "TcpTools.psd1");

    public static string HostExecutable => Path.Combine(Root, "out", "host", OperatingSystem.IsWindows() ? "tcptools.exe" : "tcptools");

    public static string Capture(string name) => Path.Combine(Root, "tests", "data", "captures", name);

    public static string Sample(string name) => Path.Combine(Root, "samples", name);

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

/// <summary>A temporary directory deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tcptools-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name, byte[] content)
    {
        string p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllBytes(p, content);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
