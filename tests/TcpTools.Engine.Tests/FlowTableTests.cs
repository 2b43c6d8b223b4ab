using System;
using System.Collections.Generic;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Tracking;

namespace TcpTools.Engine.Tests;

/// <summary>
/// The flow table's index against a plain dictionary: inserts, lookups from either direction and removals in
/// random order, through several index growths, with IPv4 and IPv6 keys that differ only a little (hash tags and
/// probe runs collide), and the coarse due times that expiry sweeps trust.
/// </summary>
public class FlowTableTests
{
    [Fact]
    public void Finds_every_flow_from_both_directions_and_nothing_else_through_growth_and_removal()
    {
        var random = new Random(7);
        var table = new FlowTable(initialCapacity: 16);
        var model = new Dictionary<(int Version, ulong Low, ushort Port), int>();
        var live = new List<(int Version, ulong Low, ushort Port)>();
        for (int round = 0; round < 40_000; round++)
        {
            if (live.Count > 0 && random.Next(3) == 0)
            {
                int pick = random.Next(live.Count);
                var gone = live[pick];
                live[pick] = live[^1];
                live.RemoveAt(live.Count - 1);
                table.Remove(model[gone]);
                model.Remove(gone);
                Assert.Equal(-1, table.Find(Segment(gone, fromClient: true), out _));
                continue;
            }
            var key = (Version: random.Next(2) == 0 ? 4 : 6, Low: (ulong)random.Next(64), Port: (ushort)random.Next(1024, 1600));
            if (model.ContainsKey(key))
            {
                continue;
            }
            DecodedTcp first = Segment(key, fromClient: true);
            int slot = table.Insert(FlowKey.FromSource(first));
            model[key] = slot;
            live.Add(key);
        }
        Assert.Equal(model.Count, table.Count);
        foreach (var (key, slot) in model)
        {
            Assert.Equal(slot, table.Find(Segment(key, fromClient: true), out bool fromClient));
            Assert.True(fromClient);
            Assert.Equal(slot, table.Find(Segment(key, fromClient: false), out fromClient));
            Assert.False(fromClient);
        }
    }

    [Fact]
    public void Coarse_due_time_never_hides_a_due_flow_and_free_slots_are_never_due()
    {
        var table = new FlowTable();
        int slot = table.Insert(FlowKey.FromSource(Segment((4, 1, 1000), fromClient: true)));
        Assert.True(table.MayBeDue(slot, 0)); // not yet told: checked exactly
        long due = 1_700_000_000_123_456_789;
        table.SetDue(slot, due);
        Assert.True(table.MayBeDue(slot, due));
        Assert.True(table.MayBeDue(slot, due + 1));
        Assert.False(table.MayBeDue(slot, due - 2_000_000_000));
        table.SetDue(slot, long.MaxValue);
        Assert.True(table.MayBeDue(slot, long.MaxValue));
        Assert.False(table.MayBeDue(slot, due));
        table.Remove(slot);
        Assert.False(table.MayBeDue(slot, long.MaxValue));
    }

    [Fact]
    public void MaxFlows_beyond_the_index_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcpTracker(new TcpTrackerOptions { MaxFlows = TcpTracker.MaxFlowsLimit + 1 }));
        Assert.Equal(TcpTracker.MaxFlowsLimit, new TcpTracker(new TcpTrackerOptions { MaxFlows = TcpTracker.MaxFlowsLimit }).Options.MaxFlows);
    }

    // Client fd00:198:18::<low> or 198.18.0.<low> : port, server the same network's .200 : 80.
    private static DecodedTcp Segment((int Version, ulong Low, ushort Port) key, bool fromClient)
    {
        ulong high = key.Version == 6 ? 0xFD00_0198_0018_0000UL : 0;
        ulong network = key.Version == 6 ? 0 : 0xC612_0000UL;
        var client = IPAddressValue.FromParts(high, network | key.Low, key.Version);
        var server = IPAddressValue.FromParts(high, network | 200, key.Version);
        return new DecodedTcp
        {
            IPVersion = key.Version,
            SourceAddress = fromClient ? client : server,
            DestinationAddress = fromClient ? server : client,
            SourcePort = fromClient ? key.Port : (ushort)80,
            DestinationPort = fromClient ? (ushort)80 : key.Port,
        };
    }

    [Fact]
    public void The_anomaly_side_table_agrees_with_a_dictionary_through_random_adds_and_removes()
    {
        // Backward-shift deletion is the part that can go wrong: many slots, runs that wrap, removes in any order.
        var random = new Random(42);
        var table = new AnomalyTable();
        var reference = new Dictionary<int, uint>();
        for (int op = 0; op < 200_000; op++)
        {
            int slot = random.Next(0, op < 100_000 ? 5_000 : 300);
            if (random.Next(3) == 0)
            {
                table.Remove(slot);
                reference.Remove(slot);
            }
            else
            {
                table.GetOrAdd(slot).Add(TcpAnomaly.PortsReused, fromClient: true);
                reference[slot] = reference.GetValueOrDefault(slot) + 1;
            }
            if (op % 1_000 == 0)
            {
                Assert.Equal(reference.Count, table.Count);
                foreach (var (s, n) in reference)
                {
                    Assert.True(table.TryGet(s, out var record));
                    Assert.Equal(n, record.Counts[18]); // PortsReused is bit 18
                }
            }
        }
        for (int s = 0; s < 5_000; s++)
        {
            Assert.Equal(reference.ContainsKey(s), table.TryGet(s, out _));
        }
        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.False(table.TryGet(0, out _));
    }
}
