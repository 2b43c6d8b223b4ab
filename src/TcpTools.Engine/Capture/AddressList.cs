namespace TcpTools;

/// <summary>
/// A list of addresses as text that also reads as one string: ConvertTo-Json writes it as an array, Export-Csv and
/// string conversion as "198.18.0.1, fd00:198:18::1" (a plain array would export as "System.String[]").
/// </summary>
public sealed class AddressList : TextList<string>
{
    internal AddressList(string[] addresses)
        : base(addresses, ", ")
    {
    }
}
