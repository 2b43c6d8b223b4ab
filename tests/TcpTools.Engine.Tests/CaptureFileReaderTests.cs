using System;
using System.Collections.Generic;
using System.IO;
using TcpTools.Engine.Capture;

namespace TcpTools.Engine.Tests;

public class CaptureFileReaderTests
{
    private static readonly byte[] FrameA = { 1, 2, 3, 4, 5 };
    private static readonly byte[] FrameB = new byte[60];

    private static List<(CapturedFrame Frame, byte[] Data)> ReadAll(byte[] file)
    {
        using var reader = CaptureFileReader.Open(new MemoryStream(file), "test");
        var frames = new List<(CapturedFrame, byte[])>();
        while (reader.TryReadNext(out var frame, out var data))
        {
            frames.Add((frame, data.ToArray()));
        }
        return frames;
    }

    private static CaptureFileException Fault(byte[] file, out int framesBefore)
    {
        framesBefore = 0;
        try
        {
            using var reader = CaptureFileReader.Open(new MemoryStream(file), "test");
            while (reader.TryReadNext(out _, out _))
            {
                framesBefore++;
            }
        }
        catch (CaptureFileException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("expected a CaptureFileException");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Pcap_reads_frames_and_timestamps_in_both_byte_orders_and_resolutions(bool nano, bool bigEndian)
    {
        long t1 = 1_700_000_000_123_456_789;
        long t2 = 1_700_000_001_000_001_000;
        var file = Bytes.Pcap(LinkType.Ethernet, new[] { (t1, FrameA), (t2, FrameB) }, nano, bigEndian);
        using var reader = CaptureFileReader.Open(new MemoryStream(file), "test");
        Assert.Equal(nano ? CaptureFileFormat.PcapNanosecond : CaptureFileFormat.Pcap, reader.Format);
        Assert.True(reader.TryReadNext(out var f1, out var d1));
        Assert.Equal(1, f1.Number);
        Assert.Equal(nano ? t1 : t1 / 1000 * 1000, f1.UnixTimeNanoseconds);
        Assert.Equal(FrameA, d1.ToArray());
        Assert.Equal(LinkType.Ethernet, f1.LinkType);
        Assert.True(reader.TryReadNext(out var f2, out var d2));
        Assert.Equal(2, f2.Number);
        Assert.Equal(t2, f2.UnixTimeNanoseconds);
        Assert.Equal(60, d2.Length);
        Assert.False(reader.TryReadNext(out _, out _));
        Assert.Equal(file.Length, reader.Position);
    }

    [Theory]
    [InlineData("sack-loss.pcap")]
    [InlineData("multi-if.pcapng")]
    public void A_small_read_buffer_grows_and_reads_the_same_frames(string name)
    {
        string path = Path.Combine(TestData.Captures, name);
        static List<(long, string)> Read(CaptureFileReader reader)
        {
            var frames = new List<(long, string)>();
            while (reader.TryReadNext(out var frame, out var data))
            {
                frames.Add((frame.UnixTimeNanoseconds, Convert.ToHexString(data)));
            }
            return frames;
        }
        using var normal = CaptureFileReader.Open(path);
        using var small = CaptureFileReader.Open(path, bufferSize: 64);
        var expected = Read(normal);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Read(small));
    }

    [Fact]
    public void Pcap_keeps_original_length_when_the_snap_length_cut_the_frame()
    {
        var frames = ReadAll(Bytes.Pcap(LinkType.Ethernet, new[] { (0L, FrameA) }, originalLengthDelta: 1000));
        Assert.Equal(5, frames[0].Frame.CapturedLength);
        Assert.Equal(1005, frames[0].Frame.OriginalLength);
    }

    [Fact]
    public void Pcap_link_type_ignores_the_fcs_bits_above_16()
    {
        var file = Bytes.Pcap(LinkType.Ethernet, new[] { (0L, FrameA) });
        file[22] = 0x00;
        file[23] = 0x14; // FCS length bits set in the upper half
        using var reader = CaptureFileReader.Open(new MemoryStream(file), "test");
        Assert.Equal(LinkType.Ethernet, reader.Interfaces[0].LinkType);
    }

    [Fact]
    public void Empty_file_is_its_own_fault()
    {
        var e = Fault(Array.Empty<byte>(), out _);
        Assert.Equal(CaptureFaultKind.Empty, e.Kind);
        Assert.Equal("test", e.Path);
    }

    [Theory]
    [InlineData("hello world, this is a text file\n")]
    [InlineData("ab")]
    public void Not_a_capture(string text)
    {
        var e = Fault(System.Text.Encoding.ASCII.GetBytes(text), out _);
        Assert.Equal(CaptureFaultKind.NotACapture, e.Kind);
    }

    [Fact]
    public void Truncated_file_header()
    {
        var file = Bytes.Pcap(LinkType.Ethernet, Array.Empty<(long, byte[])>())[..10];
        Assert.Equal(CaptureFaultKind.Truncated, Fault(file, out _).Kind);
    }

    [Fact]
    public void Truncated_last_record_keeps_the_frames_before_it()
    {
        var full = Bytes.Pcap(LinkType.Ethernet, new[] { (0L, FrameA), (1L, FrameB), (2L, FrameB) });
        var e = Fault(full[..^10], out int before);
        Assert.Equal(CaptureFaultKind.Truncated, e.Kind);
        Assert.Equal(2, before);
        Assert.Equal(3, e.FrameNumber);
        Assert.Contains("frame 3", e.Message);
    }

    [Fact]
    public void Truncated_record_header()
    {
        var full = Bytes.Pcap(LinkType.Ethernet, new[] { (0L, FrameA), (1L, FrameB) });
        var e = Fault(full[..(24 + 16 + 5 + 7)], out int before);
        Assert.Equal(CaptureFaultKind.Truncated, e.Kind);
        Assert.Equal(1, before);
    }

    [Fact]
    public void Corrupt_record_length_is_reported_not_allocated()
    {
        var file = Bytes.Pcap(LinkType.Ethernet, new[] { (0L, FrameA), (1L, FrameB) });
        // Second record's incl_len at 24 + 16 + 5 + 8.
        BitConverter.GetBytes(0x7FFF_0000u).CopyTo(file, 24 + 16 + 5 + 8);
        var e = Fault(file, out int before);
        Assert.Equal(CaptureFaultKind.CorruptRecord, e.Kind);
        Assert.Equal(1, before);
        Assert.Equal(2, e.FrameNumber);
    }

    [Fact]
    public void Unsupported_pcap_major_version()
    {
        var file = Bytes.Pcap(LinkType.Ethernet, Array.Empty<(long, byte[])>());
        file[4] = 3;
        Assert.Equal(CaptureFaultKind.UnsupportedVersion, Fault(file, out _).Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PcapNg_reads_interfaces_with_their_own_link_types_and_resolutions(bool bigEndian)
    {
        var file = new PcapNgBuilder()
            .Section(bigEndian)
            .Interface(LinkType.Ethernet, name: "eth0")                 // default 10^-6
            .Interface(LinkType.LinuxSll2, tsresol: 9, name: "any")    // 10^-9
            .Interface(LinkType.Raw, tsresol: 0x80 | 20)               // 2^-20
            .Other(5, 16)                                               // interface statistics: skipped
            .Packet(0, 1_700_000_000_123_456UL, FrameA)
            .Packet(1, 1_700_000_000_123_456_789UL, FrameB, originalLength: 1500)
            .Packet(2, (1_700_000_000UL << 20) | (1UL << 19), FrameA)   // .5 s
            .Build();
        var frames = ReadAll(file);
        Assert.Equal(3, frames.Count);
        Assert.Equal(LinkType.Ethernet, frames[0].Frame.LinkType);
        Assert.Equal(1_700_000_000_123_456_000L, frames[0].Frame.UnixTimeNanoseconds);
        Assert.Equal(LinkType.LinuxSll2, frames[1].Frame.LinkType);
        Assert.Equal(1_700_000_000_123_456_789L, frames[1].Frame.UnixTimeNanoseconds);
        Assert.Equal(1500, frames[1].Frame.OriginalLength);
        Assert.Equal(1, frames[1].Frame.InterfaceId);
        Assert.Equal(1_700_000_000_500_000_000L, frames[2].Frame.UnixTimeNanoseconds);
        Assert.Equal(new long[] { 1, 2, 3 }, frames.ConvertAll(f => f.Frame.Number));
    }

    [Fact]
    public void PcapNg_interface_name_and_offset_are_read()
    {
        var file = new PcapNgBuilder().Section().Interface(LinkType.Ethernet, name: "veth0", tsoffset: 10).Packet(0, 1_000_000UL, FrameA).Build();
        using var reader = CaptureFileReader.Open(new MemoryStream(file), "test");
        Assert.True(reader.TryReadNext(out var frame, out _));
        Assert.Equal("veth0", reader.Interfaces[0].Name);
        Assert.Equal(11_000_000_000L, frame.UnixTimeNanoseconds);
    }

    [Fact]
    public void PcapNg_new_section_resets_interfaces()
    {
        var file = new PcapNgBuilder()
            .Section().Interface(LinkType.Ethernet).Packet(0, 1, FrameA)
            .Section(bigEndian: true).Interface(LinkType.Raw).Interface(LinkType.Ethernet).Packet(1, 2, FrameB).Packet(0, 3, FrameA)
            .Build();
        var frames = ReadAll(file);
        Assert.Equal(3, frames.Count);
        Assert.Equal(LinkType.Ethernet, frames[1].Frame.LinkType);
        Assert.Equal(LinkType.Raw, frames[2].Frame.LinkType);
    }

    [Fact]
    public void PcapNg_simple_packet_block_uses_interface_0()
    {
        var frames = ReadAll(new PcapNgBuilder().Section().Interface(LinkType.Ethernet, snap: 3).SimplePacket(FrameA).Build());
        Assert.Single(frames);
        Assert.Equal(3, frames[0].Frame.CapturedLength); // cut to the interface's snap length
        Assert.Equal(5, frames[0].Frame.OriginalLength);
    }

    [Fact]
    public void PcapNg_mismatched_trailing_length_is_corrupt()
    {
        var file = new PcapNgBuilder().Section().Interface(LinkType.Ethernet).Packet(0, 1, FrameA).Packet(0, 2, FrameA).Build();
        file[^1] ^= 0x40; // last block's trailing length
        var e = Fault(file, out int before);
        Assert.Equal(CaptureFaultKind.CorruptRecord, e.Kind);
        Assert.Equal(1, before);
    }

    [Fact]
    public void PcapNg_impossible_block_length_is_corrupt()
    {
        var good = new PcapNgBuilder().Section().Interface(LinkType.Ethernet).Packet(0, 1, FrameA).Build();
        var bad = Bytes.Concat(good, new byte[] { 6, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0 });
        var e = Fault(bad, out int before);
        Assert.Equal(CaptureFaultKind.CorruptRecord, e.Kind);
        Assert.Equal(1, before);
    }

    [Fact]
    public void PcapNg_truncated_block()
    {
        var file = new PcapNgBuilder().Section().Interface(LinkType.Ethernet).Packet(0, 1, FrameA).Packet(0, 2, FrameB).Build();
        var e = Fault(file[..^20], out int before);
        Assert.Equal(CaptureFaultKind.Truncated, e.Kind);
        Assert.Equal(1, before);
    }

    [Fact]
    public void PcapNg_packet_naming_an_undescribed_interface_is_corrupt()
    {
        var file = new PcapNgBuilder().Section().Interface(LinkType.Ethernet).Packet(3, 1, FrameA).Build();
        Assert.Equal(CaptureFaultKind.CorruptRecord, Fault(file, out _).Kind);
    }

    [Fact]
    public void PcapNg_captured_length_beyond_its_block_is_corrupt()
    {
        var file = new PcapNgBuilder().Section().Interface(LinkType.Ethernet).Packet(0, 1, FrameA).Build();
        // SHB 28 bytes + IDB 20 bytes, then the EPB: type, length, interface, ts high, ts low, captured length.
        const int capturedLengthOffset = 28 + 20 + 20;
        Assert.Equal(5, file[capturedLengthOffset]);
        file[capturedLengthOffset] = 200;
        Assert.Equal(CaptureFaultKind.CorruptRecord, Fault(file, out _).Kind);
    }

    [Fact]
    public void Large_frames_grow_the_buffer_without_loss()
    {
        var big = new byte[200_000];
        new Random(1).NextBytes(big);
        var frames = new List<(long, byte[])>();
        for (int i = 0; i < 12; i++)
        {
            frames.Add((i, big));
        }
        var read = ReadAll(Bytes.Pcap(LinkType.Ethernet, frames));
        Assert.Equal(12, read.Count);
        Assert.All(read, r => Assert.Equal(big, r.Data));
    }
}
