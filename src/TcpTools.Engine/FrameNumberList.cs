using System.Collections.ObjectModel;

namespace TcpTools;

/// <summary>
/// Frame numbers that also read as one string: ConvertTo-Json writes them as an array, Export-Csv and string
/// conversion as "4, 6, 8" (a plain array would export as "System.Int64[]").
/// </summary>
public sealed class FrameNumberList : ReadOnlyCollection<long>
{
    /// <summary>No frames.</summary>
    public static new readonly FrameNumberList Empty = new(System.Array.Empty<long>());

    internal FrameNumberList(long[] frames)
        : base(frames)
    {
    }

    public override string ToString() => string.Join(", ", this);
}
