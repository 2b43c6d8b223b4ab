using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// The connection's one state from its two endpoints' (each moved by <see cref="RfcTable"/>).
/// </summary>
internal static class RfcState
{
    private static readonly byte[] s_ranks = BuildRanks();

    /// <summary>
    /// One state for the connection: the state of the endpoint further through the close, so that
    /// <c>State -eq TimeWait</c> means "an endpoint is in TIME_WAIT", and an opening connection shows the
    /// endpoint that has moved further (SYN_RECEIVED over SYN_SENT).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TcpState Connection(TcpState client, TcpState server) => s_ranks[(int)client] >= s_ranks[(int)server] ? client : server;

    private static byte[] BuildRanks()
    {
        var ranks = new byte[(int)TcpState.TimeWait + 1];
        for (int s = 0; s < ranks.Length; s++)
        {
            ranks[s] = (byte)Rank((TcpState)s);
        }
        return ranks;
    }

    /// <summary>How far through its life a state is (the order of figure 5, TIME_WAIT last); CLOSED and LISTEN rank lowest.</summary>
    internal static int Rank(TcpState s) => s switch
    {
        TcpState.TimeWait => 10,
        TcpState.Closing => 9,
        TcpState.LastAck => 8,
        TcpState.FinWait2 => 7,
        TcpState.FinWait1 => 6,
        TcpState.CloseWait => 5,
        TcpState.Established => 4,
        TcpState.SynReceived => 3,
        TcpState.SynSent => 2,
        TcpState.Listen => 1,
        _ => 0,
    };
}
