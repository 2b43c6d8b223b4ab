#!/usr/bin/env python3
"""A server that closes --close-after seconds after its client did, for the CLOSE_WAIT check's healthy side.

lab-server.py's serve mode closes at once, so its ACK of the client's FIN rides on its own FIN and the wire never
shows the server in CLOSE_WAIT. This one reads a line, answers it, and after the client's FIN waits a moment before
closing (a service finishing its work): the kernel acknowledges the FIN at once, the server sits in CLOSE_WAIT for
--close-after seconds, then sends its FIN (LAST_ACK). A check must let that pass and still catch a leak.
Usage: slow-close-server.py --close-after 0.3 --max-seconds 60 8083 [8084 ...]
It prints "ready" once every port listens, and stops by itself after --max-seconds.
"""
import argparse
import selectors
import socket
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--close-after", type=float, default=0.3)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("ports", nargs="+", type=int)
    args = parser.parse_args()
    sel = selectors.DefaultSelector()
    for port in args.ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "listen")
    print("ready", flush=True)
    closing = []  # (time to close, socket), in the order the clients closed
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        now = time.monotonic()
        while closing and closing[0][0] <= now:
            closing.pop(0)[1].close()
        wait = min(0.1, closing[0][0] - now) if closing else 0.1
        for key, _ in sel.select(timeout=max(wait, 0)):
            if key.data == "listen":
                try:
                    conn, _ = key.fileobj.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, "conn")
                continue
            conn = key.fileobj
            try:
                data = conn.recv(4096)
            except BlockingIOError:
                continue
            except ConnectionError:
                data = b""
            if data:
                try:
                    conn.sendall(b"ok " + data[:64])
                except OSError:
                    pass
                continue
            sel.unregister(conn)
            closing.append((time.monotonic() + args.close_after, conn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
