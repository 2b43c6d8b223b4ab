#!/usr/bin/env python3
"""Connections for the Pester labs: open N connections to host:port, one every --interval seconds, send a line,
read the answer and close (the client closes first). Bounded by --count and by `timeout`.
Usage: lab-client.py --count 20 --interval 0.1 web01:80 [db01:5432 ...]
"""
import argparse
import socket
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--hold", type=float, default=0.0, help="seconds to keep each connection open")
    parser.add_argument("targets", nargs="+")
    args = parser.parse_args()
    for i in range(args.count):
        for target in args.targets:
            host, port = target.rsplit(":", 1)
            try:
                with socket.create_connection((host.strip("[]"), int(port)), timeout=2) as s:
                    s.sendall(b"hello %d\n" % i)
                    try:
                        s.recv(4096)
                    except OSError:
                        pass
                    if args.hold:
                        time.sleep(args.hold)
            except OSError as e:
                print(f"{target}: {e}", file=sys.stderr, flush=True)
        time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
