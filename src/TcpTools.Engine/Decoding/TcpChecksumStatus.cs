namespace TcpTools;

/// <summary>Whether a segment's TCP checksum is right, as far as the capture lets us judge.</summary>
public enum TcpChecksumStatus
{
    /// <summary>Not judged: the capture holds only part of the segment (snap length), or the segment is a fragment.</summary>
    Unverified,
    /// <summary>The checksum matches the pseudo-header and segment.</summary>
    Good,
    /// <summary>
    /// The checksum does not match. On the sending host this is usually checksum offload (the NIC fills it in
    /// after capture), not corruption.
    /// </summary>
    Bad,
}
