#!/usr/bin/env python3
"""A tarpit for the scan sanity tests: answers every SYN to PORT on the interface with a SYN-ACK offering window 0
(as LaBrea does), and once per SYN a second SYN-ACK from STRAY, an address nobody probed. Runs at most SECONDS.
The kernel's own RST for the (closed) port must be dropped by the caller (nftables).

usage: zero-window-responder.py IFACE PORT STRAY SECONDS
"""
import socket, struct, sys, time

iface, port, stray, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def synack(src, dst, sport, dport, ack):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 12345, ack, 5 << 4, 0x12, 0, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp

rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
rx.bind((iface, 0))
rx.settimeout(0.2)
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
print("ready", flush=True)
end = time.time() + seconds
while time.time() < end:
    try:
        frame = rx.recv(2048)
    except socket.timeout:
        continue
    ip = frame[14:]
    if len(ip) < 40 or ip[9] != 6:
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport, seq = struct.unpack("!HHI", ip[ihl:ihl + 8])
    flags = ip[ihl + 13]
    if dport != port or flags & 0x12 != 0x02:
        continue
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    tx.sendto(synack(dst, src, port, sport, (seq + 1) & 0xFFFFFFFF), (src, 0))
    tx.sendto(synack(stray, src, port, sport, (seq + 1) & 0xFFFFFFFF), (src, 0))
