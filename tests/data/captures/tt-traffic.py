#!/usr/bin/env python3
"""Tiny, bounded TCP traffic generator used by make-captures.sh.

Modes (all sockets time out after 10 s, every loop is bounded):
  server  ADDR PORT READYFILE [CONNS]   request/response server
  client  ADDR PORT [SPORT]             request/response client
  refused ADDR PORT [SPORT]             connect to a closed port (SYN -> RST/ACK)
  bulk-server ADDR PORT READYFILE SIZE  send SIZE bytes after a short request
  bulk-client ADDR PORT SIZE [SPORT]    fetch SIZE bytes

Request/response exchange (deterministic in structure):
  client sends 3 chunks (120, 90, 60 bytes) with TCP_NODELAY, 30 ms apart;
  server answers with 4 chunks (200, 150, 100, 50 bytes), 30 ms apart,
  then shuts down its sending side (server FIN first); the client reads to
  EOF and closes (client FIN); the server reads EOF and closes.
"""
import socket
import sys
import time

REQ_CHUNKS = [120, 90, 60]
RESP_CHUNKS = [200, 150, 100, 50]
GAP = 0.03
TIMEOUT = 10.0


def text(tag, n):
    unit = ("TcpTools %s " % tag).encode()
    return (unit * (n // len(unit) + 1))[:n]


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen(addr, port, readyfile):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(TIMEOUT)
    s.bind((addr, port))
    s.listen(4)
    with open(readyfile, "w") as f:
        f.write("ready\n")
    return s


def recv_exact(c, n):
    buf = b""
    for _ in range(10000):
        if len(buf) >= n:
            break
        d = c.recv(n - len(buf))
        if not d:
            break
        buf += d
    return buf


def recv_to_eof(c, limit):
    total = 0
    for _ in range(100000):
        d = c.recv(65536)
        if not d:
            return total
        total += len(d)
        if total > limit:
            raise SystemExit("peer sent more than expected")
    raise SystemExit("too many reads")


def connect(addr, port, sport):
    c = socket.socket(family(addr), socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.settimeout(TIMEOUT)
    if sport:
        c.bind(("", sport))
    c.connect((addr, port))
    return c


def server(addr, port, readyfile, conns=1):
    s = listen(addr, port, readyfile)
    for _ in range(int(conns)):
        c, _peer = s.accept()
        c.settimeout(TIMEOUT)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req = recv_exact(c, sum(REQ_CHUNKS))
        if len(req) != sum(REQ_CHUNKS):
            raise SystemExit("short request: %d" % len(req))
        for i, n in enumerate(RESP_CHUNKS):
            if i:
                time.sleep(GAP)
            c.sendall(text("response-%d" % (i + 1), n))
        c.shutdown(socket.SHUT_WR)
        recv_to_eof(c, 0)
        c.close()
    s.close()


def client(addr, port, sport=0):
    c = connect(addr, port, int(sport))
    for i, n in enumerate(REQ_CHUNKS):
        if i:
            time.sleep(GAP)
        c.sendall(text("request-%d" % (i + 1), n))
    got = recv_to_eof(c, sum(RESP_CHUNKS))
    if got != sum(RESP_CHUNKS):
        raise SystemExit("short response: %d" % got)
    c.close()


def refused(addr, port, sport=0):
    try:
        c = connect(addr, port, int(sport))
    except ConnectionRefusedError:
        return
    c.close()
    raise SystemExit("connect to closed port %s unexpectedly succeeded" % port)


def bulk_server(addr, port, readyfile, size):
    s = listen(addr, port, readyfile)
    c, _peer = s.accept()
    c.settimeout(TIMEOUT)
    req = recv_exact(c, 16)
    if len(req) != 16:
        raise SystemExit("short bulk request")
    size = int(size)
    block = text("bulk", 8192)
    sent = 0
    while sent < size:
        n = min(len(block), size - sent)
        c.sendall(block[:n])
        sent += n
    c.shutdown(socket.SHUT_WR)
    recv_to_eof(c, 0)
    c.close()
    s.close()


def bulk_client(addr, port, size, sport=0):
    c = connect(addr, port, int(sport))
    c.sendall(b"GET bulk data..\n")  # 16 bytes
    got = recv_to_eof(c, int(size))
    if got != int(size):
        raise SystemExit("short bulk response: %d" % got)
    c.close()


def stalled_bulk_client(addr, port, size, stall, sport=0):
    """bulk-client with a 4 KiB receive buffer that reads nothing for STALL seconds: the window closes and the
    server probes it (zero-window probes) until the client starts reading."""
    c = socket.socket(family(addr), socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.settimeout(TIMEOUT)
    if int(sport):
        c.bind(("", int(sport)))
    c.connect((addr, port))
    c.sendall(b"GET bulk data..\n")  # 16 bytes
    time.sleep(float(stall))
    got = recv_to_eof(c, int(size))
    if got != int(size):
        raise SystemExit("short bulk response: %d" % got)
    c.close()


def main(argv):
    mode, args = argv[1], argv[2:]
    fn = {
        "server": lambda a, p, r, n=1: server(a, int(p), r, n),
        "client": lambda a, p, sp=0: client(a, int(p), sp),
        "refused": lambda a, p, sp=0: refused(a, int(p), sp),
        "bulk-server": lambda a, p, r, n: bulk_server(a, int(p), r, n),
        "bulk-client": lambda a, p, n, sp=0: bulk_client(a, int(p), n, sp),
        "stalled-bulk-client": lambda a, p, n, t, sp=0: stalled_bulk_client(a, int(p), n, t, sp),
    }[mode]
    fn(*args)


if __name__ == "__main__":
    main(sys.argv)
