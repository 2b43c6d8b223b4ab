using System;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// A TCP sequence number with RFC 9293 arithmetic: comparison and difference are modulo 2^32, so a value
/// just past the wrap is greater than one just before it. Valid while the two values are less than 2^31 apart,
/// which the window guarantees on a live connection.
/// </summary>
public readonly struct SeqNum : IEquatable<SeqNum>, IComparable<SeqNum>
{
    public SeqNum(uint value) => Value = value;

    public uint Value { get; }

    /// <summary>The signed distance from <paramref name="b"/> to <paramref name="a"/>, modulo 2^32.</summary>
    public static int operator -(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value));

    public static SeqNum operator +(SeqNum a, uint n) => new(unchecked(a.Value + n));

    public static SeqNum operator -(SeqNum a, uint n) => new(unchecked(a.Value - n));

    public static bool operator <(SeqNum a, SeqNum b) => a - b < 0;

    public static bool operator >(SeqNum a, SeqNum b) => a - b > 0;

    public static bool operator <=(SeqNum a, SeqNum b) => a - b <= 0;

    public static bool operator >=(SeqNum a, SeqNum b) => a - b >= 0;

    public static bool operator ==(SeqNum a, SeqNum b) => a.Value == b.Value;

    public static bool operator !=(SeqNum a, SeqNum b) => a.Value != b.Value;

    public static implicit operator SeqNum(uint value) => new(value);

    /// <summary>The later of two sequence numbers (modulo 2^32).</summary>
    public static SeqNum Max(SeqNum a, SeqNum b) => a >= b ? a : b;

    /// <summary>True when <paramref name="value"/> lies in [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    public static bool InWindow(SeqNum value, SeqNum start, uint length) => unchecked(value.Value - start.Value) < length;

    public int CompareTo(SeqNum other) => this - other;

    public bool Equals(SeqNum other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is SeqNum other && Equals(other);

    public override int GetHashCode() => (int)Value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
