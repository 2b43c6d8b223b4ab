using System.Runtime.InteropServices;

namespace TcpTools.Engine.Sockets;

/// <summary>Interface names for the indexes sock_diag gives (a socket bound with SO_BINDTODEVICE), as ss shows %eth0.</summary>
internal static unsafe class InterfaceNames
{
    /// <summary>The name of a bound interface (SO_BINDTODEVICE), or null.</summary>
    public static string? Of(uint index)
    {
        if (index == 0)
        {
            return null;
        }
        byte* name = stackalloc byte[16]; // IF_NAMESIZE
        byte* result = LibC.if_indextoname(index, name);
        return result == null ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : Marshal.PtrToStringUTF8((nint)name);
    }
}
