#!/usr/bin/python3
"""Writes tunnels.pcapng: TCP handshakes (SYN, SYN-ACK, ACK) inside every tunnel and carrier encapsulation the
decoder opens (issue 12), crafted with scapy (Debian's python3-scapy) around headers packed here by hand, each
checked with tshark 4.0.17. Run it in this directory with /usr/bin/python3; it also writes tunnels.tshark.tsv with
make-captures.sh's tshark command plus the tunnel fields (README.md, "tunnels.pcapng"), and
tunnels-bad.pcap: frames the decoder must skip by cause (no tshark reading beside it: tshark decodes some of them).

Inner addresses 198.18.1.1 -> 198.18.1.2 and fd00:198:18::1:1 -> fd00:198:18::1:2; outer 198.18.0.1 <-> 198.18.0.2
and fd00:198:18::1 <-> fd00:198:18::2. Each conversation has its own inner client port (40000 + its number), but
the two VXLAN conversations 'vxlan-vni-42' and 'vxlan-vni-43' share one inner 4-tuple: two tunnels, two flows.
"""
import struct
from scapy.all import Ether, IP, IPv6, UDP, TCP, Raw, wrpcap

IN4 = ("198.18.1.1", "198.18.1.2")
IN6 = ("fd00:198:18::1:1", "fd00:198:18::1:2")
OUT4 = ("198.18.0.1", "198.18.0.2")
OUT6 = ("fd00:198:18::1", "fd00:198:18::2")
MAC = ("02:00:c6:12:00:01", "02:00:c6:12:00:02")
IMAC = ("02:00:c6:12:01:01", "02:00:c6:12:01:02")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def handshake(port, v6=False):
    """Inner IP packets of a handshake, as (direction, bytes): 0 = client to server, 1 = back."""
    a, b = IN6 if v6 else IN4
    ip = (lambda s, d: IPv6(src=s, dst=d)) if v6 else (lambda s, d: IP(src=s, dst=d, ttl=61))
    return [
        (0, bytes(ip(a, b) / TCP(sport=port, dport=80, flags="S", seq=1000, window=64240, options=[("MSS", 1400)]))),
        (1, bytes(ip(b, a) / TCP(sport=80, dport=port, flags="SA", seq=5000, ack=1001, window=65160, options=[("MSS", 1400)]))),
        (0, bytes(ip(a, b) / TCP(sport=port, dport=80, flags="A", seq=1001, ack=5001, window=502))),
    ]


def inner_eth(d, ip, vlan=None):
    et = 0x86DD if ip[0] >> 4 == 6 else 0x0800
    src, dst = (IMAC[0], IMAC[1]) if d == 0 else (IMAC[1], IMAC[0])
    e = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))
    if vlan is not None:
        e += struct.pack("!HH", 0x8100, vlan)
    return e + struct.pack("!H", et) + ip


def outer_ip(d, payload, proto, v6=False):
    a, b = OUT6 if v6 else OUT4
    s, t = (a, b) if d == 0 else (b, a)
    if v6:
        return IPv6(src=s, dst=t, nh=proto) / Raw(payload)
    return IP(src=s, dst=t, proto=proto) / Raw(payload)


def outer_udp(d, payload, sport, dport, v6=False):
    a, b = OUT6 if v6 else OUT4
    s, t = (a, b) if d == 0 else (b, a)
    ps, pd = (sport, dport) if d == 0 else (dport, sport)
    ip = IPv6(src=s, dst=t) if v6 else IP(src=s, dst=t)
    return ip / UDP(sport=ps, dport=pd) / Raw(payload)


def eth(d, payload):
    s, t = (MAC[0], MAC[1]) if d == 0 else (MAC[1], MAC[0])
    return Ether(src=s, dst=t) / payload


def gre(proto, payload, key=None, seq=None, csum=False, flags_extra=0):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0) | flags_extra
    opt = b""
    if key is not None:
        opt += struct.pack("!I", key)
    if seq is not None:
        opt += struct.pack("!I", seq)
    if csum:
        body = struct.pack("!HH", flags, proto) + b"\0\0\0\0" + opt + payload
        c = checksum(body)
        return struct.pack("!HHHH", flags, proto, c, 0) + opt + payload
    return struct.pack("!HH", flags, proto) + opt + payload


conversations = []  # (name, interface, [frames])


def conv(name, build, v6_inner=False, iface=0, port=None):
    n = len(conversations) + 1
    frames = [build(d, ip, i) for i, (d, ip) in enumerate(handshake(port or 40000 + n, v6_inner))]
    conversations.append((name, iface, frames))


P4, P6 = 0x0800, 0x86DD
conv("gre", lambda d, ip, i: eth(d, outer_ip(d, gre(P4, ip), 47)))
conv("gre-key-seq-checksum", lambda d, ip, i: eth(d, outer_ip(d, gre(P6, ip, key=7, seq=i, csum=True), 47)), v6_inner=True)
conv("gre-bridged", lambda d, ip, i: eth(d, outer_ip(d, gre(0x6558, inner_eth(d, ip), key=100 + d), 47)))
# ERSPAN II: GRE with S, then version 1, VLAN 0, COS/En/T, session id 0x155, index.
erspan2 = lambda i: struct.pack("!HHI", 0x1000, 0x0155, 0)
conv("erspan-ii", lambda d, ip, i: eth(d, outer_ip(d, gre(0x88BE, erspan2(i) + inner_eth(d, ip), seq=i), 47)))
# ERSPAN III: version 2, VLAN 0, session 0x2a; timestamp; SGT, P/FT/HW/D/Gra/O with O set; 8-byte platform subheader.
erspan3 = struct.pack("!HHIHH", 0x2000, 0x002A, 0, 0, 0x0001) + bytes(8)
conv("erspan-iii", lambda d, ip, i: eth(d, outer_ip(d, gre(0x22EB, erspan3 + inner_eth(d, ip, vlan=30), seq=i), 47)))
conv("gre-in-udp", lambda d, ip, i: eth(d, outer_udp(d, gre(P4, ip), 50001, 4754)))
# PPTP: enhanced GRE version 1 with K, S (and A on the answer), payload length and call id, then PPP (FF 03 0021).
def pptp(d, ip, i):
    ppp = b"\xff\x03\x00\x21" + ip
    flags = 0x3001 | (0x0080 if d == 1 else 0)
    hdr = struct.pack("!HHHHI", flags, 0x880B, len(ppp), 0x1234 if d == 0 else 0x4321, i)
    if d == 1:
        hdr += struct.pack("!I", i)
    return eth(d, outer_ip(d, hdr + ppp, 47))
conv("pptp", pptp)
vxlan = lambda vni, payload: struct.pack("!II", 0x08000000, vni << 8) + payload
conv("vxlan-vni-42", lambda d, ip, i: eth(d, outer_udp(d, vxlan(42, inner_eth(d, ip)), 51000, 4789)), port=40100)
conv("vxlan-vni-43", lambda d, ip, i: eth(d, outer_udp(d, vxlan(43, inner_eth(d, ip)), 51000, 4789)), port=40100)
conv("vxlan-ipv6", lambda d, ip, i: eth(d, outer_udp(d, vxlan(7, inner_eth(d, ip)), 51002, 4789, v6=True)), v6_inner=True)
gpe = lambda nxt, payload: struct.pack("!BBBBI", 0x0C, 0, 0, nxt, 5 << 8) + payload
conv("vxlan-gpe", lambda d, ip, i: eth(d, outer_udp(d, gpe(1, ip), 51003, 4790)))
# Geneve with one 8-byte option (class 0x0102, type 0x80, length 1 word).
geneve = lambda proto, payload: struct.pack("!BBHI", 2, 0, proto, 99 << 8) + struct.pack("!HBBI", 0x0102, 0x80, 1, 0xDEADBEEF) + payload
conv("geneve", lambda d, ip, i: eth(d, outer_udp(d, geneve(0x6558, inner_eth(d, ip)), 51004, 6081)))
conv("geneve-ip", lambda d, ip, i: eth(d, outer_udp(d, geneve(P4, ip), 51005, 6081)))
gtp = lambda teid, payload: struct.pack("!BBHI", 0x30, 0xFF, len(payload), teid) + payload
conv("gtp-u", lambda d, ip, i: eth(d, outer_udp(d, gtp(0x1000 if d == 0 else 0x2000, ip), 2152, 2152)))
# GTP-U with S and E: sequence number, N-PDU 0, next extension 0x85 (PDU session container, 1 word), then none.
def gtp_ext(d, ip, i):
    ext = struct.pack("!HBB", i, 0, 0x85) + struct.pack("!BBBB", 1, 0x10 if d == 0 else 0x00, 9, 0)
    body = ext + ip
    return eth(d, outer_udp(d, struct.pack("!BBHI", 0x36, 0xFF, len(body), 0x3000 + d) + body, 2152, 2152, v6=True))
conv("gtp-u-extension", gtp_ext, v6_inner=True)
# AYIYA: identity 16 bytes (2^4), signature 20 bytes (5 words, SHA-1), auth method 2, opcode 1 (forward), next 41.
ayiya = lambda payload: struct.pack("!BBBBI", 0x42, 0x52, 0x21, 41, 1764000000) + bytes(16) + bytes(20) + payload
conv("ayiya", lambda d, ip, i: eth(d, outer_udp(d, ayiya(ip), 5072, 5072)), v6_inner=True)
conv("ip-in-ip", lambda d, ip, i: eth(d, outer_ip(d, ip, 4)))
conv("6in4", lambda d, ip, i: eth(d, outer_ip(d, ip, 41)), v6_inner=True)
conv("4in6", lambda d, ip, i: eth(d, outer_ip(d, ip, 4, v6=True)))
conv("6in6", lambda d, ip, i: eth(d, outer_ip(d, ip, 41, v6=True)), v6_inner=True)
conv("gre-mpls", lambda d, ip, i: eth(d, outer_ip(d, gre(0x8847, struct.pack("!I", (16 << 12) | 0x100 | 64) + ip), 47)))
conv("gre-wccp", lambda d, ip, i: eth(d, outer_ip(d, gre(0x883E, struct.pack("!I", 0x00000001) + ip), 47)))
# Two tunnels: GRE inside VXLAN.
conv("vxlan-gre", lambda d, ip, i: eth(d, outer_udp(d, vxlan(9, inner_eth(d, bytes(outer_ip(d, gre(P4, ip), 47)))), 51006, 4789)))


def raw_eth(d, et, payload, tags=b""):
    s, t = (MAC[0], MAC[1]) if d == 0 else (MAC[1], MAC[0])
    return bytes.fromhex(t.replace(":", "")) + bytes.fromhex(s.replace(":", "")) + tags + struct.pack("!H", et) + payload


# PPPoE session in QinQ (802.1ad outer tag 100, 802.1Q inner tag 200).
qinq = struct.pack("!HHHH", 0x88A8, 100, 0x8100, 200)
pppoe = lambda ip: struct.pack("!BBHH", 0x11, 0, 0x0BEE, len(ip) + 2) + b"\x00\x21" + ip
conv("pppoe-qinq", lambda d, ip, i: raw_eth(d, 0x8864, pppoe(ip), qinq))
# 802.1ah: B-TAG (802.1ad, VLAN 300), I-TAG (service id 0x10203), customer frame with a C-VLAN 12.
itag = struct.pack("!I", 0x00010203)
conv("pbb", lambda d, ip, i: raw_eth(d, 0x88E7, itag + inner_eth(d, ip, vlan=12), struct.pack("!HH", 0x88A8, 300)))
conv("vn-tag", lambda d, ip, i: raw_eth(d, 0x8926, struct.pack("!I", 0x80010002) + struct.pack("!H", 0x0800) + ip))
conv("e-tag", lambda d, ip, i: raw_eth(d, 0x893F, struct.pack("!HI", 0x0001, 0x00020000) + struct.pack("!H", 0x0800) + ip))
# FabricPath frames end in the frame check sequence, which tshark's dissector takes off (4 zero bytes here).
conv("fabricpath", lambda d, ip, i: raw_eth(d, 0x8903, struct.pack("!H", 0x0A3F) + inner_eth(d, ip)) + bytes(4))
# 802.3 with LLC/SNAP (RFC 1042).
conv("llc-snap", lambda d, ip, i: raw_eth(d, 8 + len(ip), b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + ip))

# Other link types, one pcapng interface each.
IF_FDDI, IF_PPP, IF_PPP_ETHER, IF_CHDLC, IF_PPP_SERIAL = 1, 2, 3, 4, 5
conv("fddi", lambda d, ip, i: b"\x50" + bytes(12) + b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + ip, iface=IF_FDDI)
conv("ppp", lambda d, ip, i: b"\xff\x03\x00\x21" + ip, iface=IF_PPP)
conv("ppp-ether", lambda d, ip, i: pppoe(ip), iface=IF_PPP_ETHER)
conv("c-hdlc", lambda d, ip, i: b"\x0f\x00\x08\x00" + ip, iface=IF_CHDLC)
conv("ppp-serial", lambda d, ip, i: b"\xff\x03\x00\x57" + ip, iface=IF_PPP_SERIAL, v6_inner=True)


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
for link in (1, 10, 9, 51, 104, 50):
    out += block(1, struct.pack("<HHI", link, 0, 65535))
t = 1_764_000_000_000_000
for name, iface, frames in conversations:
    for f in frames:
        f = bytes(f)
        t += 1000
        out += block(6, struct.pack("<IIIII", iface, t >> 32, t & 0xFFFFFFFF, len(f), len(f)) + f)
open("tunnels.pcapng", "wb").write(out)

# tunnels-bad.pcap (Ethernet): what must be skipped, each by its cause.
a, b = IN4
syn = bytes(IP(src=a, dst=b) / TCP(sport=40999, dport=80, flags="S", seq=1))
deep = syn
for _ in range(11):  # eleven IP-in-IP headers: deeper than the decoder's limit of ten
    deep = bytes(IP(src=OUT4[0], dst=OUT4[1], proto=4) / Raw(deep))
bad = [
    eth(0, outer_ip(0, gre(0x1234, syn), 47)),                                   # GRE protocol type unknown
    raw_eth(0, 0x0800, deep),                                                    # nested too deep
    eth(0, outer_udp(0, struct.pack("!BBHI", 0x80, 0, 0x6558, 1 << 8) + syn, 51007, 6081)),  # Geneve version 2
    eth(0, outer_ip(0, gre(P4, syn)[:3], 47)),                                   # GRE header cut short by its packet
    eth(0, outer_udp(0, vxlan(1, b"\0" * 6), 51008, 4789)),                      # VXLAN without room for a frame
    eth(0, outer_udp(0, struct.pack("!BBHI", 0x34, 0xFF, len(syn) + 4, 1) + struct.pack("!HBB", 0, 0, 0x85) + b"\0" + syn, 2152, 2152)),  # GTP extension of length 0
    eth(0, outer_ip(0, gre(P4, syn), 47)),                                       # and a good one after them
]
wrpcap("tunnels-bad.pcap", [Ether(bytes(p)) for p in bad])

# tunnels.tshark.tsv: make-captures.sh's tshark command and 28 fields, then the layer list and tunnel identifiers.
import re
import subprocess
fields = re.search(r"^FIELDS=\((.*?)\)", open("make-captures.sh").read(), re.S | re.M).group(1).split()
fields += ["frame.protocols", "gre.key", "gre.key.call_id", "vxlan.vni", "geneve.vni", "gtp.teid", "erspan.spanid",
           "pppoe.session_id", "ieee8021ah.isid", "ieee8021ad.id"]
cmd = ["tshark", "-r", "tunnels.pcapng", "-Y", "tcp", "-o", "tcp.relative_sequence_numbers:FALSE",
       "-o", "tcp.check_checksum:TRUE", "-o", "tcp.analyze_sequence_numbers:TRUE", "-T", "fields",
       "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
for f in fields:
    cmd += ["-e", f]
with open("tunnels.tshark.tsv", "w") as out:
    subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL, check=True)
