#!/usr/bin/env python3
"""TcpTools benchmark traffic: load generator.

Runs inside the client namespace made by bench/make-capture.sh. Makes
--connections connection attempts with at most --concurrency in flight:
  * ~--refused-frac of them go to --closed-port (no listener: SYN, RST-ACK);
  * --bulk of them (spread evenly over the run) fetch --bulk-bytes;
  * the rest do 2..5 small request/response exchanges (TCP_NODELAY, request
    header and body in separate writes) and then close; ~30% ask the server
    to close first (Connection: close), the rest are closed by the client.
Bounded in count (--connections) and time (--deadline, per-connection
timeouts); prints a JSON summary on stdout.
"""
import argparse
import asyncio
import json
import random
import socket
import sys
import time

BLOB = (bytes(range(33, 127)) * 100)[:4096]
PATHS = [b"/api/items", b"/api/users/42", b"/static/app.js", b"/login",
         b"/search?q=tcp", b"/health", b"/api/orders"]

stats = {"attempts": 0, "ok": 0, "refused": 0, "bulk_ok": 0, "errors": 0,
         "timeouts": 0, "exchanges": 0, "bytes_in": 0}
args = None


def plan(i: int, rng: random.Random, bulk_at: set):
    if i in bulk_at:
        return ("bulk", args.ports[i % len(args.ports)], 1)
    if rng.random() < args.refused_frac:
        return ("refused", args.closed_port, 0)
    return ("normal", rng.choice(args.ports), rng.randint(2, 5))


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    got = 0
    while got < n:
        chunk = await reader.read(min(n - got, 262144))
        if not chunk:
            raise ConnectionError("short response")
        got += len(chunk)
    return got


async def one(i: int, kind: str, port: int, nex: int, rng: random.Random):
    stats["attempts"] += 1
    try:
        reader, writer = await asyncio.open_connection(args.host, port)
    except ConnectionRefusedError:
        stats["refused"] += 1
        return
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        server_closes = kind == "normal" and rng.random() < 0.3
        for k in range(nex):
            path = rng.choice(PATHS)
            if kind == "bulk":
                want, body = args.bulk_bytes, 0
                path = b"/bulk"
            else:
                want = rng.choice((rng.randint(40, 600), rng.randint(600, 3000)))
                body = rng.randint(16, 700)
            last = k == nex - 1
            hdr = (b"POST %s HTTP/1.1\r\nHost: 198.18.1.2\r\nX-Len: %d\r\n"
                   b"Content-Length: %d\r\n" % (path, want, body))
            if last and server_closes:
                hdr += b"Connection: close\r\n"
            writer.write(hdr + b"\r\n")        # segment 1: headers
            if body:
                writer.write(BLOB[:body])        # segment 2: body
            stats["bytes_in"] += await read_response(reader)
            stats["exchanges"] += 1
            if args.think > 0 and not last:
                await asyncio.sleep(rng.random() * args.think)
        if server_closes:
            await reader.read()                  # wait for the server's FIN
        stats["ok"] += 1
        if kind == "bulk":
            stats["bulk_ok"] += 1
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def worker(q: list, t_end: float):
    while q and time.monotonic() < t_end:
        i, kind, port, nex, seed = q.pop()
        rng = random.Random(seed)
        try:
            await asyncio.wait_for(one(i, kind, port, nex, rng),
                                   args.bulk_timeout if kind == "bulk" else args.conn_timeout)
        except asyncio.TimeoutError:
            stats["timeouts"] += 1
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as e:
            stats["errors"] += 1
            if stats["errors"] <= 5:
                print("conn %d: %r" % (i, e), file=sys.stderr)


async def main():
    rng = random.Random(args.seed)
    n = args.connections
    bulk_at = {int((j + 0.5) * n / args.bulk) for j in range(args.bulk)} if args.bulk else set()
    q = []
    for i in range(n):
        kind, port, nex = plan(i, rng, bulk_at)
        q.append((i, kind, port, nex, rng.getrandbits(32)))
    q.reverse()  # pop() from the end -> index order
    t0 = time.monotonic()
    t_end = t0 + args.deadline
    await asyncio.gather(*(worker(q, t_end) for _ in range(args.concurrency)))
    stats["unstarted"] = len(q)
    stats["seconds"] = round(time.monotonic() - t0, 2)
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="198.18.1.2")
    ap.add_argument("--ports", type=lambda s: [int(x) for x in s.split(",")],
                    default=list(range(8001, 8009)))
    ap.add_argument("--closed-port", type=int, default=7999)
    ap.add_argument("--connections", type=int, default=55000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--refused-frac", type=float, default=0.05)
    ap.add_argument("--bulk", type=int, default=4)
    ap.add_argument("--bulk-bytes", type=int, default=16 << 20)
    ap.add_argument("--think", type=float, default=0.0,
                    help="max random pause between exchanges (seconds)")
    ap.add_argument("--conn-timeout", type=float, default=30)
    ap.add_argument("--bulk-timeout", type=float, default=300)
    ap.add_argument("--deadline", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not args.host.startswith("198.18.") and not args.host.startswith("198.19."):
        sys.exit("refusing: host must be in 198.18.0.0/15")
    asyncio.run(main())
    bad = stats["errors"] + stats["timeouts"]
    sys.exit(0 if bad <= max(10, args.connections // 1000) and not stats["unstarted"] else 1)
