using System;
using System.Net;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tests;

/// <summary>
/// The address text shared between written flows: always the address's own text (colliding entries replace each
/// other, never answer for each other), and one string instance for an address asked for again.
/// </summary>
public class AddressTextCacheTests
{
    [Fact]
    public void Gives_each_address_its_own_text_through_collisions_and_shares_repeated_ones()
    {
        var cache = new AddressTextCache();
        var random = new Random(11);
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < 20_000; i++)
        {
            // Few hosts (repeats) mixed with many (collisions in 256 entries), IPv4 and IPv6 with equal low halves.
            int host = random.Next(3) == 0 ? random.Next(4) : random.Next(5000);
            IPAddress address;
            if (random.Next(2) == 0)
            {
                address = new IPAddress(new byte[] { 198, 18, (byte)(host >> 8), (byte)host });
            }
            else
            {
                bytes.Clear();
                bytes[0] = 0xfd;
                bytes[14] = (byte)(host >> 8);
                bytes[15] = (byte)host;
                address = new IPAddress(bytes);
            }
            var value = IPAddressValue.FromIPAddress(address);
            string text = cache.Get(value);
            Assert.Equal(address.ToString(), text);
            Assert.Same(text, cache.Get(value));
        }
        Assert.Same(cache.Get(IPAddressValue.FromIPAddress(IPAddress.Parse("198.18.0.1"))), cache.Get(IPAddressValue.FromIPAddress(IPAddress.Parse("198.18.0.1"))));
        Assert.Equal("::ffff:198.18.0.1", cache.Get(IPAddressValue.FromIPAddress(IPAddress.Parse("::ffff:198.18.0.1"))));
        Assert.Equal("198.18.0.1", cache.Get(IPAddressValue.FromIPAddress(IPAddress.Parse("198.18.0.1"))));
    }
}
