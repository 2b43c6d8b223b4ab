namespace TcpTools;

/// <summary>Endpoints as people write them: 198.18.0.1:443, and [fd00:198:18::1]:443 for IPv6 (RFC 3986's brackets).</summary>
internal static class EndPointText
{
    public static string Format(string address, ushort port, int ipVersion) =>
        ipVersion == 6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
