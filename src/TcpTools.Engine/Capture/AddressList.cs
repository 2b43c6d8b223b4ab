using System.Collections;
using System.Collections.Generic;

namespace TcpTools;

/// <summary>
/// A list of addresses as text that also reads as one string: ConvertTo-Json writes it as an array, Export-Csv and
/// string conversion as "198.18.0.1, fd00:198:18::1" (a plain array would export as "System.String[]").
/// </summary>
public sealed class AddressList : IReadOnlyList<string>
{
    private readonly string[] _addresses;

    internal AddressList(string[] addresses) => _addresses = addresses;

    public int Count => _addresses.Length;

    public string this[int index] => _addresses[index];

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_addresses).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _addresses.GetEnumerator();

    public override string ToString() => string.Join(", ", _addresses);
}
