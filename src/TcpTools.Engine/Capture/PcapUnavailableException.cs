using System;

namespace TcpTools;

/// <summary>libpcap (Npcap on Windows) could not be loaded; the message says what to install.</summary>
public sealed class PcapUnavailableException : Exception
{
    public const string InstallHint =
        "libpcap is not installed or could not be loaded. Install it: Debian/Ubuntu 'apt-get install libpcap0.8', " +
        "Fedora/RHEL 'dnf install libpcap', Alpine 'apk add libpcap', macOS ships it; on Windows install Npcap " +
        "(https://npcap.com) with 'WinPcap API-compatible mode'.";

    public PcapUnavailableException(Exception inner)
        : base(InstallHint + " (" + inner.Message + ")", inner)
    {
    }
}
