using System.Net;

namespace TcpTools.Engine.Sockets;

/// <summary>An endpoint to match: an address (or prefix) and a port, or any port when <see cref="Port"/> is null.</summary>
public readonly record struct TcpEndpointFilter(IPNetwork Address, ushort? Port)
{
    internal bool Matches(in TcpTools.Engine.Decoding.IPAddressValue address, ushort port) =>
        (Port is null || Port == port) && new AddressPrefix(Address).Contains(address);
}
