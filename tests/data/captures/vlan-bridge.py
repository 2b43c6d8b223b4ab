#!/usr/bin/env python3
"""Userspace 802.1Q access<->trunk bridge (used by make-captures.sh).

This kernel has neither the 8021q module (no `type vlan` links) nor the tc
vlan action, so VLAN tags are added/removed here instead:

  vlan-bridge.py VID SECONDS ACCESS1:TRUNK1 [ACCESS2:TRUNK2 ...]

Frames received on an ACCESS interface get an 802.1Q tag (TPID 0x8100,
PCP 0, DEI 0, VID) inserted after the MAC addresses and are sent on the
paired TRUNK interface. Frames received on a TRUNK interface carrying VID
are sent untagged on the paired ACCESS interface (the kernel usually strips
the tag into packet metadata; PACKET_AUXDATA tells us the VID). Everything
else is dropped. Runs at most SECONDS and at most 20000 frames.
"""
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10


def open_if(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((name, ETH_P_ALL))
    return s


def main():
    vid = int(sys.argv[1])
    deadline = time.monotonic() + float(sys.argv[2])
    tag = struct.pack("!HH", 0x8100, vid & 0x0FFF)
    route = {}  # fd -> (out socket, is_trunk_side)
    socks = []
    for pair in sys.argv[3:]:
        acc_name, trk_name = pair.split(":")
        acc, trk = open_if(acc_name), open_if(trk_name)
        route[acc.fileno()] = (acc, trk, False)
        route[trk.fileno()] = (trk, acc, True)
        socks += [acc, trk]
    print("bridge ready", flush=True)
    frames = 0
    while frames < 20000:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(socks, [], [], min(left, 0.5))
        for s in ready:
            insock, out, from_trunk = route[s.fileno()]
            data, anc, _flags, addr = insock.recvmsg(65600, 256)
            if addr[2] == PACKET_OUTGOING:
                continue  # our own transmission
            frames += 1
            if not from_trunk:
                out.send(data[:12] + tag + data[12:])
                continue
            frame_vid = None
            for level, typ, cdata in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA:
                    status, _len, _snap, _mac, _net, tci, _tpid = struct.unpack("IIIHHHH", cdata[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        frame_vid = tci & 0x0FFF
            if frame_vid is None and data[12:14] == b"\x81\x00":
                frame_vid = struct.unpack("!H", data[14:16])[0] & 0x0FFF
                data = data[:12] + data[16:]
            if frame_vid == vid:
                out.send(data)


if __name__ == "__main__":
    main()
