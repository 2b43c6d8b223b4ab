namespace TcpTools.Engine.Tracking;

/// <summary>Zeek's per-endpoint TCP states (TCP_Endpoint.h), from which its conn_state is computed.</summary>
internal enum ZeekEndpointState : byte
{
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}
