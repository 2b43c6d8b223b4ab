using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// One socket as a source read it (sock_diag, /proc/net/tcp or .NET), before owners are joined and the public
/// <see cref="TcpSocket"/> is made. Kernel values as the kernel gives them; <see cref="Info"/> only from sock_diag.
/// </summary>
internal struct SocketEntry
{
    public IPAddressValue Local;
    public IPAddressValue Remote;
    public ushort LocalPort;
    public ushort RemotePort;
    public TcpState State;
    public TcpSocketTimer Timer;
    public bool HasTimerExpiry;
    public byte TimerRetransmits;
    public uint TimerExpiresMs;
    public uint ReceiveQueue;
    public uint SendQueue;
    public bool HasKernelFields;
    public uint Uid;
    public ulong Inode;
    public uint InterfaceIndex;
    public TcpInfoValues? Info;
    public string? CongestionControl;
}
