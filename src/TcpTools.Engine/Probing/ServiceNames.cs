using System;
using System.Collections.Generic;
using System.Collections.Frozen;
using System.Globalization;
using System.IO;
using System.Linq;

namespace TcpTools.Engine.Probing;

/// <summary>
/// Well-known TCP service names (https, ssh, postgresql ...) and their ports, so ports can be written as people say
/// them: -Port https, 'web01:ssh,https'. The table is built in, with IANA's names as Debian's /etc/services spells them
/// plus the aliases people type (www, rdp, smb ...), so a name means the same port on every machine; a name the table
/// lacks is looked up in the system's services file (/etc/services, or drivers\etc\services on Windows).
/// </summary>
public static class ServiceNames
{
    /// <summary>Name, port and a few words for tab completion. Aliases follow their service.</summary>
    private static readonly (string Name, ushort Port, string Description)[] s_table =
    {
        ("ftp-data", 20, "FTP data"),
        ("ftp", 21, "File Transfer Protocol"),
        ("ssh", 22, "Secure Shell"),
        ("telnet", 23, "Telnet"),
        ("smtp", 25, "Simple Mail Transfer Protocol"),
        ("domain", 53, "DNS over TCP"),
        ("dns", 53, "DNS over TCP (alias of domain)"),
        ("http", 80, "HTTP"),
        ("www", 80, "HTTP (alias of http)"),
        ("kerberos", 88, "Kerberos"),
        ("pop3", 110, "Post Office Protocol 3"),
        ("sunrpc", 111, "ONC RPC portmapper"),
        ("auth", 113, "Ident"),
        ("ident", 113, "Ident (alias of auth)"),
        ("epmap", 135, "DCE/RPC endpoint mapper (msrpc)"),
        ("msrpc", 135, "DCE/RPC endpoint mapper (alias of epmap)"),
        ("netbios-ssn", 139, "NetBIOS session service"),
        ("imap", 143, "IMAP"),
        ("bgp", 179, "Border Gateway Protocol"),
        ("ldap", 389, "LDAP"),
        ("https", 443, "HTTP over TLS"),
        ("microsoft-ds", 445, "SMB over TCP"),
        ("smb", 445, "SMB over TCP (alias of microsoft-ds)"),
        ("kpasswd", 464, "Kerberos password change"),
        ("submissions", 465, "Mail submission over TLS"),
        ("smtps", 465, "Mail submission over TLS (alias of submissions)"),
        ("printer", 515, "LPD printing"),
        ("rtsp", 554, "Real Time Streaming Protocol"),
        ("submission", 587, "Mail submission"),
        ("ipp", 631, "Internet Printing Protocol"),
        ("ldaps", 636, "LDAP over TLS"),
        ("domain-s", 853, "DNS over TLS"),
        ("rsync", 873, "rsync"),
        ("ftps-data", 989, "FTP data over TLS"),
        ("ftps", 990, "FTP over TLS"),
        ("telnets", 992, "Telnet over TLS"),
        ("imaps", 993, "IMAP over TLS"),
        ("pop3s", 995, "POP3 over TLS"),
        ("socks", 1080, "SOCKS proxy"),
        ("openvpn", 1194, "OpenVPN"),
        ("ms-sql-s", 1433, "Microsoft SQL Server"),
        ("mssql", 1433, "Microsoft SQL Server (alias of ms-sql-s)"),
        ("oracle", 1521, "Oracle database listener"),
        ("pptp", 1723, "Point-to-Point Tunnelling Protocol"),
        ("mqtt", 1883, "MQTT"),
        ("nfs", 2049, "Network File System"),
        ("docker", 2375, "Docker API"),
        ("docker-s", 2376, "Docker API over TLS"),
        ("etcd-client", 2379, "etcd client"),
        ("etcd-server", 2380, "etcd peers"),
        ("mysql", 3306, "MySQL"),
        ("ms-wbt-server", 3389, "Remote Desktop Protocol"),
        ("rdp", 3389, "Remote Desktop Protocol (alias of ms-wbt-server)"),
        ("svn", 3690, "Subversion"),
        ("sip", 5060, "Session Initiation Protocol"),
        ("sip-tls", 5061, "SIP over TLS"),
        ("xmpp-client", 5222, "XMPP client"),
        ("xmpp-server", 5269, "XMPP server"),
        ("postgresql", 5432, "PostgreSQL"),
        ("postgres", 5432, "PostgreSQL (alias of postgresql)"),
        ("amqps", 5671, "AMQP over TLS"),
        ("amqp", 5672, "AMQP"),
        ("rfb", 5900, "VNC remote framebuffer"),
        ("vnc", 5900, "VNC (alias of rfb)"),
        ("winrm", 5985, "WS-Management (PowerShell remoting over HTTP)"),
        ("winrm-https", 5986, "WS-Management over TLS"),
        ("x11", 6000, "X Window System"),
        ("redis", 6379, "Redis"),
        ("kube-apiserver", 6443, "Kubernetes API server"),
        ("ircs-u", 6697, "IRC over TLS"),
        ("http-alt", 8080, "HTTP alternate"),
        ("https-alt", 8443, "HTTPS alternate"),
        ("kafka", 9092, "Apache Kafka"),
        ("elasticsearch", 9200, "Elasticsearch HTTP"),
        ("git", 9418, "Git"),
        ("memcache", 11211, "memcached"),
        ("mongodb", 27017, "MongoDB"),
    };

    private static readonly FrozenDictionary<string, ushort> s_byName =
        s_table.ToFrozenDictionary(e => e.Name, e => e.Port, StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<Dictionary<string, ushort>> s_system = new(ReadSystemServices);

    /// <summary>The built-in names with their ports and descriptions, in port order (for tab completion).</summary>
    public static IReadOnlyList<(string Name, ushort Port, string Description)> WellKnown => s_table;

    /// <summary>The port of a TCP service name (case-insensitive): the built-in table first, then the system's services file.</summary>
    public static bool TryGetPort(string name, out ushort port)
    {
        if (string.IsNullOrEmpty(name) || !char.IsAsciiLetter(name[0]))
        {
            port = 0;
            return false;
        }
        return s_byName.TryGetValue(name, out port) || s_system.Value.TryGetValue(name, out port);
    }

    /// <summary>
    /// The services file's TCP entries: "name port/tcp [aliases] [# comment]". Missing or unreadable means none:
    /// the built-in table still answers.
    /// </summary>
    private static Dictionary<string, ushort> ReadSystemServices()
    {
        var result = new Dictionary<string, ushort>(StringComparer.OrdinalIgnoreCase);
        string path = OperatingSystem.IsWindows()
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.System), "drivers", "etc", "services")
            : "/etc/services";
        try
        {
            foreach (string raw in File.ReadLines(path))
            {
                int hash = raw.IndexOf('#', StringComparison.Ordinal);
                string[] fields = (hash < 0 ? raw : raw[..hash]).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 2 || !fields[1].EndsWith("/tcp", StringComparison.OrdinalIgnoreCase)
                    || !ushort.TryParse(fields[1].AsSpan(0, fields[1].Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
                {
                    continue;
                }
                foreach (string name in fields.Where((_, i) => i != 1))
                {
                    result.TryAdd(name, port);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no services file: the built-in names are all there is
        }
        return result;
    }
}
