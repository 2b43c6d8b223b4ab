#!/usr/bin/python3
"""Writes fragments.pcap: TCP connections whose segments, or the tunnel packets that carry them, travel as IP
fragments (issue 12), crafted with scapy (Debian's python3-scapy) and checked with tshark 4.0.17, which reassembles
them (ip.defragment and ipv6.defragment, on by default). Run it in this directory with /usr/bin/python3; it also
writes fragments.tshark.tsv (make-captures.sh's tshark command plus frame.protocols and the fragment lists), the
same reading of samples/fragmented.pcap as fragmented.tshark.tsv, and
fragments-bad.pcap: fragment trains the reassembler must refuse, each for its cause (no tshark reading beside it;
EncapsulationTests.cs holds what each cause counts).

Plain addresses 198.18.0.1 -> 198.18.0.2 and fd00:198:18::1 -> fd00:198:18::2; tunnels carry 198.18.1.1 ->
198.18.1.2 between the plain addresses. Every connection has its own client port.
"""
import struct
from scapy.all import Ether, IP, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, UDP, TCP, Raw, fragment, fragment6, wrpcap

A4, B4 = "198.18.0.1", "198.18.0.2"
C4 = "198.18.0.3"
A6, B6 = "fd00:198:18::1", "fd00:198:18::2"
I4 = ("198.18.1.1", "198.18.1.2")
MAC = ("02:00:c6:12:00:01", "02:00:c6:12:00:02")
IMAC = ("02:00:c6:12:01:01", "02:00:c6:12:01:02")

T0 = 1764633600.0  # 2025-12-02 00:00:00 UTC
frames = []


def put(pkts, d=0):
    """Appends layer-3 packets (or lists of fragments) as Ethernet frames, 1 ms apart."""
    for p in pkts if isinstance(pkts, list) else [pkts]:
        src, dst = (MAC[0], MAC[1]) if d == 0 else (MAC[1], MAC[0])
        e = Ether(src=src, dst=dst) / p
        e.time = T0 + len(frames) / 1000
        frames.append(e)


def payload(n, seed):
    return bytes((seed + i * 7) & 0xFF for i in range(n))


# 1. IPv4: a 3,000-byte segment in three fragments in order, a 2,000-byte answer in two fragments last first,
#    the handshake and close whole. Fragment ids collide on purpose with connection 2's (another source).
ip4 = lambda s, d, **k: IP(src=s, dst=d, ttl=64, **k)
c = lambda **k: ip4(A4, B4) / TCP(sport=40001, dport=80, **k)
s = lambda **k: ip4(B4, A4) / TCP(sport=80, dport=40001, **k)
put(c(flags="S", seq=1000, window=64240, options=[("MSS", 1460)]))
put(s(flags="SA", seq=5000, ack=1001, window=65160, options=[("MSS", 1460)]), 1)
put(c(flags="A", seq=1001, ack=5001, window=64240))
client1 = fragment(ip4(A4, B4, id=1000) / TCP(sport=40001, dport=80, flags="PA", seq=1001, ack=5001, window=64240) / Raw(payload(3000, 1)), fragsize=1480)
# 2. Another source's datagram with the same id, its fragments between connection 1's: two datagrams.
other = fragment(ip4(C4, B4, id=1000) / TCP(sport=40002, dport=80, flags="S", seq=7000, window=64240) / Raw(payload(1600, 2)), fragsize=1480)
put(client1[0]); put(other[0]); put(client1[1]); put(other[1]); put(client1[2])
put(s(flags="A", seq=5001, ack=4001, window=501), 1)
answer = fragment(ip4(B4, A4, id=2000) / TCP(sport=80, dport=40001, flags="PA", seq=5001, ack=4001, window=501) / Raw(payload(2000, 3)), fragsize=1480)
put(list(reversed(answer)), 1)
put(c(flags="A", seq=4001, ack=7001, window=64000))
put(c(flags="FA", seq=4001, ack=7001, window=64000))
put(s(flags="FA", seq=7001, ack=4002, window=501), 1)
put(c(flags="A", seq=4002, ack=7002, window=64000))

# 3. IPv6 with a hop-by-hop header (unfragmentable) before the fragment header: 2,500 bytes in three fragments, the
#    middle one last.
ip6 = lambda s, d: IPv6(src=s, dst=d, hlim=64)
c6 = lambda **k: ip6(A6, B6) / TCP(sport=40003, dport=443, **k)
s6 = lambda **k: ip6(B6, A6) / TCP(sport=443, dport=40003, **k)
put(c6(flags="S", seq=100, window=64800, options=[("MSS", 1440)]))
put(s6(flags="SA", seq=900, ack=101, window=64260, options=[("MSS", 1440)]), 1)
put(c6(flags="A", seq=101, ack=901, window=507))
big6 = ip6(A6, B6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(id=0x12345678) / TCP(sport=40003, dport=443, flags="PA", seq=101, ack=901, window=507) / Raw(payload(2500, 4))
f6 = fragment6(big6, 1280)
put([f6[0], f6[2], f6[1]])
put(s6(flags="A", seq=901, ack=2601, window=501), 1)
put(c6(flags="RA", seq=2601, ack=901, window=0))


def vxlan(d, inner_ip, vni, outer_id, sport):
    """An outer IPv4/UDP/VXLAN packet carrying inner_ip in Ethernet."""
    isrc, idst = (IMAC[0], IMAC[1]) if d == 0 else (IMAC[1], IMAC[0])
    inner = Ether(src=isrc, dst=idst) / inner_ip
    s, t = (A4, B4) if d == 0 else (B4, A4)
    return IP(src=s, dst=t, ttl=64, id=outer_id) / UDP(sport=sport, dport=4789) / Raw(struct.pack("!BBHI", 0x08, 0, 0, vni << 8) + bytes(inner))


# 4. VXLAN whose outer packets are fragmented (a 1,400-byte inner segment over an underlay of MTU 800).
ci = lambda **k: IP(src=I4[0], dst=I4[1], ttl=63) / TCP(sport=40004, dport=80, **k)
si = lambda **k: IP(src=I4[1], dst=I4[0], ttl=63) / TCP(sport=80, dport=40004, **k)
put(vxlan(0, ci(flags="S", seq=10, window=64240), 42, 3000, 51001))
put(vxlan(1, si(flags="SA", seq=20, ack=11, window=64240), 42, 3001, 51001), 1)
put(vxlan(0, ci(flags="A", seq=11, ack=21, window=502), 42, 3002, 51001))
put(fragment(vxlan(0, ci(flags="PA", seq=11, ack=21, window=502) / Raw(payload(1400, 5)), 42, 3003, 51001), fragsize=776))
put(vxlan(1, si(flags="A", seq=21, ack=1411, window=501), 42, 3004, 51001), 1)

# 5. VXLAN whose inner packet is fragmented: two inner fragments, each in an outer packet of its own.
ci = lambda **k: IP(src=I4[0], dst=I4[1], ttl=63, **{x: k.pop(x) for x in ["id"] if x in k}) / TCP(sport=40005, dport=80, **k)
si = lambda **k: IP(src=I4[1], dst=I4[0], ttl=63) / TCP(sport=80, dport=40005, **k)
put(vxlan(0, ci(flags="S", seq=30, window=64240), 43, 3100, 51002))
put(vxlan(1, si(flags="SA", seq=40, ack=31, window=64240), 43, 3101, 51002), 1)
put(vxlan(0, ci(flags="A", seq=31, ack=41, window=502), 43, 3102, 51002))
inner = fragment(ci(id=4000, flags="PA", seq=31, ack=41, window=502) / Raw(payload(2000, 6)), fragsize=1000)
for i, f in enumerate(inner):
    put(vxlan(0, f, 43, 3103 + i, 51002))
put(vxlan(1, si(flags="A", seq=41, ack=2031, window=501), 43, 3110, 51002), 1)

# 6. IPv6 in IPv4 (6in4, protocol 41) with the outer IPv4 packet fragmented.
c6 = lambda **k: ip6(A6, B6) / TCP(sport=40006, dport=22, **k)
put(IP(src=A4, dst=B4, ttl=64, id=5000, proto=41) / c6(flags="S", seq=50, window=64800))
put(fragment(IP(src=A4, dst=B4, ttl=64, id=5001, proto=41) / c6(flags="PA", seq=51, ack=61, window=507) / Raw(payload(1800, 7)), fragsize=1000))

wrpcap("fragments.pcap", frames)

# fragments-bad.pcap: trains that never make a datagram, each once, then a good one; EncapsulationTests checks the
# counts by cause.
frames = []
seg = lambda i, n, **k: IP(src=A4, dst=B4, ttl=64, id=i, **k) / TCP(sport=41000 + i, dport=80, flags="PA", seq=1, ack=1, window=500) / Raw(payload(n, i))
f = fragment(seg(1, 3000), fragsize=1480)
put([f[0], f[2]])                                          # never completes: the middle fragment is missing (2 incomplete)
f = fragment(seg(2, 2000), fragsize=1480)
g = f[1].copy(); g.frag -= 1; g[Raw].load = b"\xAA" * 8 + g[Raw].load  # overlaps the first by 8 bytes, other bytes
put([f[0], g, f[1]])                                       # overlapping: all three discarded (3 overlapping)
f = fragment(seg(3, 2000), fragsize=1480)
put([f[0], f[0], f[1]])                                    # an exact duplicate: kept once, and the datagram completes
p = IP(src=A4, dst=B4, ttl=64, id=4, flags="MF", frag=0, proto=6) / Raw(payload(1480, 4))
q = IP(src=A4, dst=B4, ttl=64, id=4, frag=8189, proto=6) / Raw(payload(100, 4))
put([p, q])                                                # ends beyond 65,535 bytes: the last is invalid (1 invalid, 1 incomplete)
z = IP(src=A4, dst=B4, ttl=64, id=5, flags="MF", frag=10, proto=6)
put(z)                                                     # an empty fragment (1 invalid)
big6 = IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=6, m=1, offset=0) / Raw(payload(1001, 6))
put(big6)                                                  # IPv6, not the last, not a multiple of 8 (1 invalid)
f = fragment(seg(7, 2000), fragsize=1480)
put(f[0])
late = Ether(src=MAC[0], dst=MAC[1]) / f[1]
late.time = T0 + 31.5                                      # 31.5 s after its first fragment: that one timed out
frames.append(late)                                        # (1 incomplete by timeout, 1 incomplete at the end)
f = fragment(seg(8, 2000), fragsize=1480)
put(f)                                                     # and a good one
wrpcap("fragments-bad.pcap", frames)

import re
import subprocess
fields = re.search(r"^FIELDS=\((.*?)\)", open("make-captures.sh").read(), re.S | re.M).group(1).split()
fields += ["frame.protocols", "ip.fragment", "ipv6.fragment", "vxlan.vni"]
cmd = ["tshark", "-r", "fragments.pcap", "-Y", "tcp", "-o", "tcp.relative_sequence_numbers:FALSE",
       "-o", "tcp.check_checksum:TRUE", "-o", "tcp.analyze_sequence_numbers:TRUE", "-T", "fields",
       "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
for f in fields:
    cmd += ["-e", f]
with open("fragments.tshark.tsv", "w") as out:
    subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL, check=True)
# And tshark's reading of samples/fragmented.pcap (real fragments: samples/make-fragmented-sample.sh), which the
# reference test reads from samples/.
cmd[2] = "../../../samples/fragmented.pcap"
with open("fragmented.tshark.tsv", "w") as out:
    subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL, check=True)
