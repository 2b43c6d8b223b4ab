#!/usr/bin/env python3
"""Convert an Ethernet pcap into a DLT_NULL (BSD loopback, linktype 0) pcap.

  to-null.py IN.pcap OUT.pcap [--af6 N] [--usec]

Linux cannot record DLT_NULL, so make-captures.sh derives those files:
every IPv4/IPv6 Ethernet frame loses its 14-byte Ethernet header and gets a
4-byte address family in little-endian ("host order" of the little-endian
machine that wrote the file) instead: 2 for IPv4, N for IPv6 (default 30,
Darwin's AF_INET6; 24 and 28 are the NetBSD/OpenBSD and FreeBSD values).
incl_len and orig_len shrink by 10. Frames of other types are dropped.
The output is always little-endian; it keeps the input's timestamp
resolution unless --usec is given, in which case nanosecond input is
truncated to microseconds and the microsecond magic a1b2c3d4 is written.
"""
import argparse
import struct
import sys

MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--af6", type=int, default=30)
    ap.add_argument("--usec", action="store_true")
    opt = ap.parse_args(argv[1:])
    src, dst, af6, to_usec = opt.src, opt.dst, opt.af6, opt.usec

    data = open(src, "rb").read()
    for endian in "<>":
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise SystemExit("not a classic pcap file: " + src)
    nsec = magic == MAGIC_NS
    vmaj, vmin, _tz, _sig, snaplen, linktype = struct.unpack(endian + "HHiIII", data[4:24])
    if linktype != 1:
        raise SystemExit("input linktype %d, expected 1 (Ethernet)" % linktype)

    out_nsec = nsec and not to_usec
    out = [struct.pack("<IHHiIII", MAGIC_NS if out_nsec else MAGIC_US,
                       vmaj, vmin, 0, 0, snaplen, 0)]
    off, n_in, n_out = 24, 0, 0
    while off < len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n_in += 1
        if incl < 14:
            continue
        ethertype = struct.unpack("!H", frame[12:14])[0]
        if ethertype == 0x0800:
            af = 2
        elif ethertype == 0x86DD:
            af = af6
        else:
            continue
        if nsec and to_usec:
            frac //= 1000
        body = struct.pack("<I", af) + frame[14:]
        out.append(struct.pack("<IIII", sec, frac, len(body), orig - 10) + body)
        n_out += 1
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    print("%s: %d of %d frames written" % (dst, n_out, n_in))


if __name__ == "__main__":
    main(sys.argv)
