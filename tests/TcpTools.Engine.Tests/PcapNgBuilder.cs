using System;
using System.IO;
using System.Text;

namespace TcpTools.Engine.Tests;

/// <summary>Builds pcapng files block by block (SHB, IDB, EPB, SPB, others) in either byte order.</summary>
internal sealed class PcapNgBuilder
{
    private readonly MemoryStream _out = new();
    private bool _big;

    public PcapNgBuilder Section(bool bigEndian = false)
    {
        _big = bigEndian;
        var body = new MemoryStream();
        var w = new EndianWriter(body, _big);
        w.U32(0x1A2B3C4D);
        w.U16(1);
        w.U16(0);
        w.U32(0xFFFFFFFF); // section length unknown (-1)
        w.U32(0xFFFFFFFF);
        return Block(0x0A0D0D0A, body.ToArray());
    }

    public PcapNgBuilder Interface(LinkType linkType, uint snap = 262144, byte? tsresol = null, string? name = null, long? tsoffset = null)
    {
        var body = new MemoryStream();
        var w = new EndianWriter(body, _big);
        w.U16((ushort)linkType);
        w.U16(0);
        w.U32(snap);
        if (name != null)
        {
            Option(w, 2, Encoding.UTF8.GetBytes(name));
        }
        if (tsresol != null)
        {
            Option(w, 9, new[] { tsresol.Value });
        }
        if (tsoffset != null)
        {
            var b = new byte[8];
            if (_big) { System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(b, tsoffset.Value); } else { System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(b, tsoffset.Value); }
            Option(w, 14, b);
        }
        if (name != null || tsresol != null || tsoffset != null)
        {
            w.U16(0);
            w.U16(0);
        }
        return Block(1, body.ToArray());
    }

    public PcapNgBuilder Packet(uint interfaceId, ulong ticks, byte[] data, uint? originalLength = null)
    {
        var body = new MemoryStream();
        var w = new EndianWriter(body, _big);
        w.U32(interfaceId);
        w.U32((uint)(ticks >> 32));
        w.U32((uint)ticks);
        w.U32((uint)data.Length);
        w.U32(originalLength ?? (uint)data.Length);
        w.Bytes(data);
        Pad(body);
        return Block(6, body.ToArray());
    }

    public PcapNgBuilder SimplePacket(byte[] data)
    {
        var body = new MemoryStream();
        var w = new EndianWriter(body, _big);
        w.U32((uint)data.Length);
        w.Bytes(data);
        Pad(body);
        return Block(3, body.ToArray());
    }

    /// <summary>Any other block type (statistics, name resolution...), which readers must skip.</summary>
    public PcapNgBuilder Other(uint type, int bodyLength) => Block(type, new byte[bodyLength]);

    /// <summary>Raw bytes appended as they are (for corrupt-file tests).</summary>
    public PcapNgBuilder Raw(byte[] bytes)
    {
        _out.Write(bytes);
        return this;
    }

    public byte[] Build() => _out.ToArray();

    private PcapNgBuilder Block(uint type, byte[] body)
    {
        var w = new EndianWriter(_out, _big);
        w.U32(type);
        w.U32((uint)(body.Length + 12));
        w.Bytes(body);
        w.U32((uint)(body.Length + 12));
        return this;
    }

    private void Option(EndianWriter w, ushort code, byte[] value)
    {
        w.U16(code);
        w.U16((ushort)value.Length);
        w.Bytes(value);
        int pad = (4 - value.Length % 4) % 4;
        w.Bytes(new byte[pad]);
    }

    private static void Pad(MemoryStream s)
    {
        while (s.Length % 4 != 0)
        {
            s.WriteByte(0);
        }
    }
}
