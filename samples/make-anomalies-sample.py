#!/usr/bin/env python3
"""Writes samples/anomalies.pcap: short TCP exchanges, each with one kind of anomaly a capture can show.

    /usr/bin/python3 samples/make-anomalies-sample.py     (needs python3-scapy; check with tshark -r)

Crafted, not captured: real stacks do not misbehave on request. Addresses 198.18.0.1 (client) and 198.18.0.2 (server),
checksums valid, one millisecond between segments from 2026-12-02 00:00:00 UTC; the same bytes on every run.

    6001  a RST in the server's name, then the server's own data goes on (an injected reset): DataAfterReset
    6002  blind RSTs at the server: three outside its 8 MB window, one inside it but not exact: RstOutsideWindow,
          RstInWindow (and FinAfterReset: Zeek's model takes any RST, so the client's FIN comes after one)
    6003  a FIN scan probe (FIN without ACK), answered by RST: NoAck
    6004  a SYN+FIN probe: SynAndFin
    6005  the server's window closes, the client probes it with one byte: ZeroWindowProbe
    6006  the client sends more than the server's 1000-byte window: WindowExceeded
    6007  a client segment missing from the capture, acknowledged by the server: AckOfUnseenData
    6008  a SYN that carries data: SynWithData
"""
import os
import sys

from scapy.all import IP, TCP, Ether, Raw, wrpcap

C, S = "198.18.0.1", "198.18.0.2"
MAC_C, MAC_S = "02:00:c6:12:00:01", "02:00:c6:12:00:02"
T0 = 1796169600.0  # 2026-12-02 00:00:00 UTC
OPTS = [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]

packets = []


def seg(client, sport, dport, flags, seq, ack=0, data=b"", window=64240, options=None):
    src, dst = (C, S) if client else (S, C)
    mac_src, mac_dst = (MAC_C, MAC_S) if client else (MAC_S, MAC_C)
    p = Ether(src=mac_src, dst=mac_dst) / IP(src=src, dst=dst, ttl=64, flags="DF") / TCP(
        sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window, options=options or [])
    if data:
        p = p / Raw(data)
    p.time = T0 + len(packets) * 0.001
    packets.append(p)


def conversation(port, scaled=True):
    """Handshake from 198.18.0.1:4<port> to 198.18.0.2:<port>; client ISN 1000, server ISN 5000."""
    cp = 40000 + port % 1000
    opts = OPTS if scaled else [("MSS", 1460)]
    seg(True, cp, port, "S", 1000, options=opts)
    seg(False, port, cp, "SA", 5000, 1001, options=opts)
    seg(True, cp, port, "A", 1001, 5001)
    return cp


def close(port, cp, c, s):
    seg(True, cp, port, "FA", c, s)
    seg(False, port, cp, "FA", s, c + 1)
    seg(True, cp, port, "A", c + 1, s + 1)


# 6001: injected reset
cp = conversation(6001)
seg(True, cp, 6001, "PA", 1001, 5001, b"GET / HTTP/1.1\r\n\r\n")
seg(False, 6001, cp, "R", 5001)
seg(False, 6001, cp, "PA", 5001, 1019, b"HTTP/1.1 200 OK\r\n\r\n")

# 6002: blind resets
cp = conversation(6002)
for offset in (900_000_000, 2_000_000_000, 3_000_000_000):
    seg(True, cp, 6002, "R", 1001 + offset)
seg(True, cp, 6002, "R", 1001 + 5000)
seg(False, 6002, cp, "A", 5001, 1001)  # the challenge ACK RFC 5961 asks for
close(6002, cp, 1001, 5001)

# 6003: FIN scan of a closed port
seg(True, 40003, 6003, "F", 7777)
seg(False, 6003, 40003, "RA", 0, 7778)

# 6004: SYN+FIN probe of a closed port
seg(True, 40004, 6004, "SF", 8888)
seg(False, 6004, 40004, "RA", 0, 8889)

# 6005: zero window and a probe
cp = conversation(6005)
seg(True, cp, 6005, "PA", 1001, 5001, b"x" * 500)
seg(False, 6005, cp, "A", 5001, 1501, window=0)
seg(True, cp, 6005, "PA", 1501, 5001, b"x")  # the probe: one byte into the closed window
seg(False, 6005, cp, "A", 5001, 1501, window=0)
seg(False, 6005, cp, "A", 5001, 1501, window=512)  # the window opens
seg(True, cp, 6005, "PA", 1501, 5001, b"x" * 500)
seg(False, 6005, cp, "A", 5001, 2001)
close(6005, cp, 2001, 5001)

# 6006: more than the window (no window scaling)
cp = conversation(6006, scaled=False)
seg(False, 6006, cp, "A", 5001, 1001, window=1000)
seg(True, cp, 6006, "PA", 1001, 5001, b"y" * 1400)
seg(False, 6006, cp, "A", 5001, 2401, window=1000)
close(6006, cp, 2401, 5001)

# 6007: a segment the capture missed
cp = conversation(6007)
seg(True, cp, 6007, "PA", 1001, 5001, b"z" * 100)
seg(True, cp, 6007, "PA", 1101, 5001, b"z" * 100)
del packets[-1]  # sent, not captured
seg(False, 6007, cp, "A", 5001, 1201)
close(6007, cp, 1201, 5001)

# 6008: data on the SYN, not taken by the server (no TCP Fast Open): sent again after the handshake
seg(True, 40008, 6008, "S", 1000, data=b"hello", options=OPTS)
seg(False, 6008, 40008, "SA", 5000, 1001, options=OPTS)
seg(True, 40008, 6008, "PA", 1001, 5001, b"hello")
seg(False, 6008, 40008, "A", 5001, 1006)
close(6008, 40008, 1006, 5001)

for i, p in enumerate(packets):
    p.time = T0 + i * 0.001
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "anomalies.pcap")
wrpcap(out, packets)
print(f"{out}: {len(packets)} packets", file=sys.stderr)
