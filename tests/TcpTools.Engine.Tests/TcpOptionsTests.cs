namespace TcpTools.Engine.Tests;

public class TcpOptionsTests
{
    [Fact]
    public void Linux_syn_options()
    {
        var o = TcpOptions.Parse(new byte[] { 2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7 });
        Assert.Equal((ushort)1460, o.MaximumSegmentSize);
        Assert.True(o.SackPermitted);
        Assert.Equal(1u, o.TimestampValue);
        Assert.Equal(2u, o.TimestampEchoReply);
        Assert.Equal((byte)7, o.WindowScale);
        Assert.Equal(new[] { TcpOptionKind.MaximumSegmentSize, TcpOptionKind.SackPermitted, TcpOptionKind.Timestamp, TcpOptionKind.NoOperation, TcpOptionKind.WindowScale }, o.Kinds);
        Assert.False(o.IsMalformed);
        Assert.Equal("mss 1460,sackOK,TS val 1 ecr 2,nop,wscale 7", o.ToString());
    }

    [Fact]
    public void Sack_blocks_are_absolute()
    {
        var o = TcpOptions.Parse(new byte[] { 1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 5 });
        Assert.Equal(new[] { new TcpSackBlock(10, 20), new TcpSackBlock(0xFFFFFFF0, 5) }, o.SackBlocks);
        Assert.Equal("nop,nop,sack 2 {10:20} {4294967280:5}", o.ToString());
    }

    [Fact]
    public void Zero_length_option_is_malformed_and_stops_parsing()
    {
        var o = TcpOptions.Parse(new byte[] { 2, 0, 5, 0xB4 });
        Assert.True(o.IsMalformed);
        Assert.Null(o.MaximumSegmentSize);
    }

    [Fact]
    public void Option_running_past_the_header_is_truncated()
    {
        var o = TcpOptions.Parse(new byte[] { 1, 8, 10, 0, 0 }, truncated: false);
        Assert.True(o.IsTruncated);
        Assert.Equal(new[] { TcpOptionKind.NoOperation }, o.Kinds);
    }

    [Fact]
    public void Known_option_with_wrong_length_is_malformed()
    {
        var o = TcpOptions.Parse(new byte[] { 2, 3, 5, 0 });
        Assert.True(o.IsMalformed);
        Assert.Null(o.MaximumSegmentSize);
    }

    [Fact]
    public void End_of_list_stops_and_unknown_kinds_are_named()
    {
        var o = TcpOptions.Parse(new byte[] { 34, 2, 0, 2, 4, 0x05 });
        Assert.Equal(new[] { TcpOptionKind.FastOpenCookie, TcpOptionKind.EndOfOptionList }, o.Kinds);
        Assert.Equal("opt-34,eol", o.ToString());
    }
}
