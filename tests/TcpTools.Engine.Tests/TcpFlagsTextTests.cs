namespace TcpTools.Engine.Tests;

public class TcpFlagsTextTests
{
    [Theory]
    [InlineData(TcpFlags.Syn, "S")]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack, "S.")]
    [InlineData(TcpFlags.Ack, ".")]
    [InlineData(TcpFlags.Psh | TcpFlags.Ack, "P.")]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack, "F.")]
    [InlineData(TcpFlags.Rst | TcpFlags.Ack, "R.")]
    [InlineData(TcpFlags.Rst, "R")]
    [InlineData(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, "SEW")]
    [InlineData(TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg | TcpFlags.Ece | TcpFlags.Cwr, "FSRP.UEW")]
    [InlineData(TcpFlags.None, "none")]
    public void Matches_tcpdump(TcpFlags flags, string expected)
    {
        Assert.Equal(expected, TcpFlagsText.Format(flags));
        Assert.Same(TcpFlagsText.Format(flags), TcpFlagsText.Format(flags));
    }
}
