using System.Collections;
using System.Collections.Generic;

namespace TcpTools;

/// <summary>
/// A read-only list that also reads as one string: ConvertTo-Json writes it as an array of its items, Export-Csv and
/// string conversion as the items' text joined (a plain array would export as "System.String[]"), and the pipeline
/// filters on it as on an array (<c>$_.Addresses -contains …</c>, <c>$_.Tunnels.Type</c>).
/// </summary>
public abstract class TextList<T> : IReadOnlyList<T>
{
    private readonly T[] _items;
    private readonly string _separator;

    private protected TextList(T[] items, string separator)
    {
        _items = items;
        _separator = separator;
    }

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public override string ToString() => string.Join(_separator, (IEnumerable<T>)_items);
}
