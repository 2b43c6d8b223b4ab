#!/usr/bin/env python3
"""Join two tun devices living in two network namespaces (make-captures.sh).

This kernel has no ipip/sit/ip6tnl tunnels, so a point-to-point raw-IP link
is made from two persistent tun devices (created beforehand with
`ip tuntap add ... mode tun`) and this relay copying IP packets between them:

  tun-relay.py SECONDS NETNS_A TUN_A NETNS_B TUN_B

Each device is attached from inside its own namespace (setns), then packets
are copied both ways unchanged. Runs at most SECONDS and 20000 packets.
"""
import ctypes
import fcntl
import os
import select
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

libc = ctypes.CDLL(None, use_errno=True)


def setns(name):
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def attach(netns, dev):
    setns(netns)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", dev.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    deadline = time.monotonic() + float(sys.argv[1])
    a = attach(sys.argv[2], sys.argv[3])
    b = attach(sys.argv[4], sys.argv[5])
    peer = {a: b, b: a}
    print("relay ready", flush=True)
    for _ in range(20000):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([a, b], [], [], min(left, 0.5))
        for fd in ready:
            os.write(peer[fd], os.read(fd, 65536))


if __name__ == "__main__":
    main()
