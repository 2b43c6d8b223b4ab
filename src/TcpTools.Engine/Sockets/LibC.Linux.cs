using System.Runtime.InteropServices;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// The few libc calls the socket table needs that .NET does not expose: a netlink socket (.NET's Socket has no
/// AF_NETLINK), readlink without a string per call, and if_indextoname. All blittable, so no marshalling cost.
/// </summary>
internal static unsafe class LibC
{
    public const int EINTR = 4;
    public const int EACCES = 13;

    [DllImport("libc", SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    public static extern nint sendto(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength);

    [DllImport("libc", SetLastError = true)]
    public static extern nint recv(int fd, byte* buffer, nint length, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern nint readlink(byte* path, byte* buffer, nint size);

    [DllImport("libc", SetLastError = true)]
    public static extern byte* if_indextoname(uint index, byte* name);

    [DllImport("libc", SetLastError = true)]
    public static extern int setns(int fd, int nstype);

    public const int CloneNewNet = 0x40000000;
}
