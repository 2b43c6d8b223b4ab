#!/usr/bin/env python3
"""A TCP server for the Pester labs, run inside a lab host's namespace (under `timeout`).

Modes, per port:
  serve   read one line, answer it, wait for the client to close, then close (the client closes first, so the
          client ends in TIME_WAIT and the server goes through CLOSE_WAIT and LAST_ACK as it should)
  leak    read one line, answer it, and never close: after the client's FIN the server sits in CLOSE_WAIT,
          as a service that leaks sockets does
  reset   accept, then abort with a RST (SO_LINGER 0)
  bulk    read one line, answer it with 32 KiB, then wait for the client to close, as serve
Usage: lab-server.py --max-seconds 60 serve:80 serve:443 leak:8080 reset:8081 bulk:8000
It prints "ready" once every port listens, and stops by itself after --max-seconds.
"""
import argparse
import selectors
import socket
import struct
import sys
import time

BLOB = (bytes(range(33, 127)) * 400)[:32768]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--host", default="::")
    parser.add_argument("ports", nargs="+", help="mode:port")
    args = parser.parse_args()
    sel = selectors.DefaultSelector()
    for spec in args.ports:
        mode, port = spec.split(":")
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((args.host, int(port)))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("listen", mode))
    print("ready", flush=True)
    kept = []
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            kind, mode = key.data
            if kind == "listen":
                try:
                    conn, _ = key.fileobj.accept()
                except BlockingIOError:
                    continue
                if mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, ("conn", mode))
                continue
            conn = key.fileobj
            try:
                data = conn.recv(4096)
            except (BlockingIOError, ConnectionError):
                data = b"" if not isinstance(sys.exc_info()[1], BlockingIOError) else None
            if data is None:
                continue
            if data:
                try:
                    conn.setblocking(True)
                    conn.sendall((BLOB if mode == "bulk" else b"ok " + data[:64]))
                    conn.setblocking(False)
                except OSError:
                    pass
                continue
            # The client closed (FIN): serve closes too, leak keeps the socket in CLOSE_WAIT.
            sel.unregister(conn)
            if mode == "leak":
                kept.append(conn)
            else:
                conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
