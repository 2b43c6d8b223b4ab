#!/usr/bin/env python3
"""TcpTools benchmark traffic: tiny HTTP-like server.

Runs inside the server namespace made by bench/make-capture.sh. Listens on
several ports; each request is `<line>\r\n<headers>\r\n\r\n<body>` with a
Content-Length body and an X-Len header giving the wanted response size.
Responses are written in several separate send() calls with TCP_NODELAY so
one response becomes several data segments. Large responses (bulk) are paced.
The server stops by itself after --max-seconds (and is also run under
`timeout`).
"""
import argparse
import asyncio
import socket
import sys

BLOB = (bytes(range(33, 127)) * 800)[:65536]

args = None


def payload(n: int) -> bytes:
    if n <= len(BLOB):
        return BLOB[:n]
    return (BLOB * (n // len(BLOB) + 1))[:n]


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                break
            clen = 0
            want = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                k = k.strip().lower()
                if k == b"content-length":
                    clen = int(v)
                elif k == b"x-len":
                    want = int(v)
                elif k == b"connection" and v.strip().lower() == b"close":
                    close = True
            if clen:
                await reader.readexactly(clen)
            hdr = b"HTTP/1.1 200 OK\r\nServer: ttbench\r\nContent-Length: %d\r\n" % want
            if close:
                hdr += b"Connection: close\r\n"
            writer.write(hdr + b"\r\n")
            if want <= 65536:
                # small response: body in one or two separate writes
                if want > 600:
                    cut = want // 2
                    writer.write(BLOB[:cut])
                    writer.write(BLOB[cut:want])
                elif want:
                    writer.write(BLOB[:want])
                await writer.drain()
            else:
                # bulk: 64 KiB chunks, paced so the transfer is long-lived
                left = want
                while left > 0:
                    n = min(left, len(BLOB))
                    writer.write(BLOB[:n])
                    left -= n
                    await writer.drain()
                    if args.bulk_pace > 0:
                        await asyncio.sleep(args.bulk_pace)
            if close:
                break
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def main():
    servers = []
    for p in args.ports:
        servers.append(await asyncio.start_server(
            handle, args.host, p, backlog=4096, reuse_address=True))
    print("server listening on %s ports %s" % (args.host, args.ports), flush=True)
    await asyncio.sleep(args.max_seconds)
    for s in servers:
        s.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="198.18.1.2")
    ap.add_argument("--ports", type=lambda s: [int(x) for x in s.split(",")],
                    default=list(range(8001, 8009)))
    ap.add_argument("--bulk-pace", type=float, default=0.01,
                    help="seconds to sleep after each 64 KiB bulk chunk")
    ap.add_argument("--max-seconds", type=float, default=900)
    args = ap.parse_args()
    if not args.host.startswith("198.18.") and not args.host.startswith("198.19."):
        sys.exit("refusing: host must be in 198.18.0.0/15")
    asyncio.run(main())
