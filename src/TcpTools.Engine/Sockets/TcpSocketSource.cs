namespace TcpTools.Engine.Sockets;

/// <summary>Where the socket table is read from.</summary>
internal enum TcpSocketSource
{
    Auto,
    SockDiag,
    ProcNet,
    DotNet,
}
