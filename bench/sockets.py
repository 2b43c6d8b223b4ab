#!/usr/bin/env python3
"""Holds a socket table of a given size for bench/sockets.sh (issue 13): ESTABLISHED connections over loopback
(both ends held, so twice as many sockets), spread over worker processes of at most 7,500 connections each (a
process may hold only so many descriptors here), and TIME_WAIT sockets, kept near their count by closing a few new
connections every 100 ms (TIME_WAIT lasts 60 s). Run it inside a network namespace of its own; it prints 'ready'
once the table is full and stops by itself after --seconds, or when its stdin closes."""
import argparse, os, resource, select, socket, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument('--established', type=int, default=42000)
p.add_argument('--timewait', type=int, default=20000)
p.add_argument('--seconds', type=float, default=600)
a = p.parse_args()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
PER_WORKER = min(7500, (hard - 100) // 2)
stop = time.monotonic() + a.seconds


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(4096)
    return s


def hold(port, n, ready_w):
    """A worker: n connections to its own listener, both ends kept, until the parent goes."""
    l = listen(port)
    accepted = []
    t = threading.Thread(target=lambda: [accepted.append(l.accept()[0]) for _ in range(n)], daemon=True)
    t.start()
    clients = [socket.create_connection(('127.0.0.1', port)) for _ in range(n)]
    t.join()
    os.write(ready_w, b'.')
    while time.monotonic() < stop and os.getppid() != 1:
        time.sleep(0.5)
    os._exit(0)


tw_port = 5900
tw_listener = listen(tw_port)  # before any connection takes an ephemeral port
workers = []
left = a.established
port = 5001
ready_r, ready_w = os.pipe()
while left > 0:
    n = min(PER_WORKER, left)
    pid = os.fork()
    if pid == 0:
        hold(port, n, ready_w)
    workers.append(pid)
    left -= n
    port += 1
for _ in workers:
    os.read(ready_r, 1)

def serve_time_wait():
    while time.monotonic() < stop:
        c, _ = tw_listener.accept()
        # The client closes first (its side goes to TIME_WAIT); close ours once its FIN is here.
        threading.Thread(target=lambda c=c: (c.recv(1), c.close()), daemon=True).start()


threading.Thread(target=serve_time_wait, daemon=True).start()


def time_wait(n):
    for _ in range(n):
        c = socket.create_connection(('127.0.0.1', tw_port))
        c.close()


time_wait(a.timewait)
print('ready', flush=True)
per_tick = max(1, a.timewait // 600)  # 60 s of TIME_WAIT in 600 ticks of 100 ms
try:
    while time.monotonic() < stop:
        r, _, _ = select.select([sys.stdin], [], [], 0.1)
        if r and not sys.stdin.readline():
            break
        time_wait(per_tick)
finally:
    for pid in workers:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
