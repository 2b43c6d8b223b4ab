namespace TcpTools;

/// <summary>TCP option kinds (IANA "TCP Option Kind Numbers").</summary>
public enum TcpOptionKind : byte
{
    EndOfOptionList = 0,
    NoOperation = 1,
    MaximumSegmentSize = 2,
    WindowScale = 3,
    SackPermitted = 4,
    Sack = 5,
    Timestamp = 8,
    Md5Signature = 19,
    UserTimeout = 28,
    TcpAuthentication = 29,
    Multipath = 30,
    FastOpenCookie = 34,
    Experimental1 = 253,
    Experimental2 = 254,
}
