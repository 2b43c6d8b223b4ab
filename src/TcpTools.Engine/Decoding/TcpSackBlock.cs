namespace TcpTools;

/// <summary>One SACK block: the receiver holds bytes from <see cref="Left"/> up to (not including) <see cref="Right"/>.</summary>
public readonly record struct TcpSackBlock(uint Left, uint Right)
{
    public override string ToString() => $"{Left}:{Right}";
}
