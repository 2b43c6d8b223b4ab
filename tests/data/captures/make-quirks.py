#!/usr/bin/python3
"""Writes quirks.pcapng: the decoder faults found on third-party captures (issue 12), crafted with scapy
(Debian's python3-scapy). Run it in this directory, then write quirks.tshark.tsv with the tshark command of
README.md ("tshark tsv files", the one in make-captures.sh's tshark_tsv).

- pcapng blocks that are not packets between the packets: custom blocks (copiable and not), a systemd journal
  export block and a sysdig event, which tshark 4.0 counts as frames; name resolution, interface statistics and
  decryption secrets blocks, which it does not. FrameNumber must be tshark's frame.number.
- an IPv4 packet whose total length (1500) claims more than the wire carried (60 bytes): tshark takes tcp.len
  from what the wire carried (6); the same for an IPv6 payload length;
- a packet the snap length cut (captured 80 of 1514 bytes): its length counts in full.
"""
import struct
from scapy.all import Ether, IP, IPv6, TCP, Raw

A4, B4 = "198.18.0.1", "198.18.0.2"
A6, B6 = "fd00:198:18::1", "fd00:198:18::2"


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def epb(i, frame, original=None):
    ts = 1_764_000_000_000_000 + i * 1000
    return block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), original or len(frame)) + frame)


def eth(ip):
    return Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01") / ip


def v4(seq, flags="A", payload=b"", **ip):
    return bytes(eth(IP(src=A4, dst=B4, **ip) / TCP(sport=40000, dport=80, flags=flags, seq=seq, ack=1) / Raw(payload)))


out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)) + block(1, struct.pack("<HHI", 1, 0, 65535))
out += epb(1, v4(1000, "S"))
out += block(0x00000BAD, struct.pack("<I", 32473) + b"custom, copiable")
out += epb(2, v4(2000, payload=b"abc"))
out += block(4, struct.pack("<HH", 0, 0))  # name resolution: no frame
out += epb(3, v4(3000))
out += block(5, struct.pack("<III", 0, 0, 0))  # interface statistics: no frame
out += block(9, b"__REALTIME_TIMESTAMP=1764000000000000\nMESSAGE=hello\n")
out += epb(4, v4(4000))
out += block(10, struct.pack("<II", 0x544C534B, 4) + b"abcd")  # decryption secrets: no frame
out += block(0x40000BAD, struct.pack("<I", 32473) + b"custom, not to copy")
out += block(0x204, bytes(64))  # sysdig event
# IPv4 total length 1500 on a frame that carried 6 payload bytes (scapy computes the checksum over the lie)
out += epb(5, bytes(Ether(v4(5000, payload=b"abcdef", len=1500))))
lie6 = eth(IPv6(src=A6, dst=B6, plen=1400) / TCP(sport=40001, dport=80, flags="A", seq=6000, ack=1) / Raw(b"abcdef"))
out += epb(6, bytes(lie6))
cut = v4(7000, payload=bytes(1460))
out += epb(7, cut[:80], original=len(cut))
open("quirks.pcapng", "wb").write(out)

# routed.pcap: SYNs whose TCP checksum covers a final destination (or home address) other than the IP header's:
# IPv4 loose and strict source routes, an IPv6 routing header of types 0, 2 and 4 (segment routing) with segments
# left, and a Home Address destination option. scapy computes each checksum as the receiver would; tshark 4.0.17
# reads all six Good.
from scapy.all import IPOption_LSRR, IPOption_SSRR, wrpcap
from scapy.layers.inet6 import IPv6ExtHdrRouting, IPv6ExtHdrDestOpt, HAO, IPv6ExtHdrSegmentRouting

e = Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")
syn = lambda port: TCP(sport=port, dport=80, flags="S", seq=1)
routed = [
    e / IP(src=A4, dst=B4, options=[IPOption_LSRR(routers=["198.18.0.3", "198.18.0.9"])]) / syn(40000),
    e / IP(src=A4, dst=B4, options=[IPOption_SSRR(routers=["198.18.0.7"])]) / syn(40001),
    e / IPv6(src=A6, dst=B6) / IPv6ExtHdrRouting(addresses=["fd00:198:18::3", "fd00:198:18::9"], segleft=2) / syn(40002),
    e / IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt(options=[HAO(hoa="fd00:198:18::77")]) / syn(40003),
    e / IPv6(src=A6, dst=B6) / IPv6ExtHdrSegmentRouting(addresses=["fd00:198:18::9", B6], segleft=1) / syn(40004),
    e / IPv6(src=A6, dst=B6) / IPv6ExtHdrRouting(type=2, addresses=["fd00:198:18::5"], segleft=1) / syn(40005),
]
wrpcap("routed.pcap", [Ether(bytes(p)) for p in routed])
