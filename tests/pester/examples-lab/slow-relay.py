#!/usr/bin/env python3
"""A slow path for the handshake-RTT check: a userspace Ethernet relay that holds every TCP SYN for --delay seconds.

The lab has no sch_netem (tc cannot add delay), so Examples.Tests.ps1 unplugs one host's switch port from the lab's
bridge and runs this relay, in the switch namespace, between that port (--host-side) and a veth plugged into the
bridge (--lan-side). Every frame that arrives on one side goes out of the other, as a bridge port would forward
it; a TCP SYN without ACK coming from the LAN side (a client opening a connection to the host) waits --delay
seconds first. So the client's handshake takes --delay longer on the wire, and nothing else changes.

The TCP checksum of each relayed segment is computed again: a veth hands over locally sent segments with the
checksum left to the hardware (offload), which a frame rewritten through a packet socket no longer gets.
Usage: slow-relay.py --lan-side r1 --host-side p3 --delay 0.25 --max-seconds 60
It prints "ready" once both sockets are open, and stops by itself after --max-seconds.
"""
import argparse
import heapq
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # a frame this namespace sent: never relayed back
ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN = 0x0800, 0x86DD, 0x8100
IPPROTO_TCP = 6
TCP_SYN, TCP_ACK = 0x02, 0x10


def tcp_offsets(frame):
    """(IP header offset, TCP header offset, version) of a TCP segment in an Ethernet frame, or None."""
    if len(frame) < 14:
        return None
    off, ethertype = 14, struct.unpack_from("!H", frame, 12)[0]
    if ethertype == ETHERTYPE_VLAN and len(frame) >= 18:
        off, ethertype = 18, struct.unpack_from("!H", frame, 16)[0]
    if ethertype == ETHERTYPE_IPV4 and len(frame) >= off + 20 and frame[off + 9] == IPPROTO_TCP:
        tcp = off + (frame[off] & 0x0F) * 4
        return (off, tcp, 4) if len(frame) >= tcp + 20 else None
    if ethertype == ETHERTYPE_IPV6 and len(frame) >= off + 60 and frame[off + 6] == IPPROTO_TCP:
        return off, off + 40, 6  # no extension headers in the lab's traffic
    return None


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def fix_tcp_checksum(frame, ip, tcp, version):
    if version == 4:
        end = ip + struct.unpack_from("!H", frame, ip + 2)[0]
        pseudo = frame[ip + 12:ip + 20] + struct.pack("!BBH", 0, IPPROTO_TCP, end - tcp)
    else:
        end = tcp + struct.unpack_from("!H", frame, ip + 4)[0]
        pseudo = frame[ip + 8:ip + 40] + struct.pack("!IxxxB", end - tcp, IPPROTO_TCP)
    frame[tcp + 16:tcp + 18] = b"\0\0"
    frame[tcp + 16:tcp + 18] = struct.pack("!H", checksum(pseudo + bytes(frame[tcp:end])))


def open_side(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setblocking(False)
    return s


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lan-side", required=True)
    parser.add_argument("--host-side", required=True)
    parser.add_argument("--delay", type=float, default=0.25)
    parser.add_argument("--max-seconds", type=float, default=60)
    args = parser.parse_args()
    lan, host = open_side(args.lan_side), open_side(args.host_side)
    other = {lan: host, host: lan}
    held = []  # (release time, sequence, frame, socket to send on): the SYNs waiting out the delay
    sequence = 0
    print("ready", flush=True)
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, frame, out = heapq.heappop(held)
            try:
                out.send(frame)
            except OSError:
                pass
        wait = min(0.2, held[0][0] - now) if held else 0.2
        readable, _, _ = select.select([lan, host], [], [], max(wait, 0))
        for s in readable:
            for _ in range(64):  # a bounded burst per wake-up
                try:
                    data, address = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if address[2] == PACKET_OUTGOING:
                    continue
                frame = bytearray(data)
                where = tcp_offsets(frame)
                if where:
                    fix_tcp_checksum(frame, *where)
                    flags = frame[where[1] + 13]
                    if s is lan and flags & (TCP_SYN | TCP_ACK) == TCP_SYN:
                        sequence += 1
                        heapq.heappush(held, (time.monotonic() + args.delay, sequence, bytes(frame), other[s]))
                        continue
                try:
                    other[s].send(bytes(frame))
                except OSError:
                    pass  # a frame larger than the other side's MTU: a real bridge would drop it too
    return 0


if __name__ == "__main__":
    sys.exit(main())
