#!/usr/bin/env python3
"""test/soak/soak_client.py: the soak's load clients (test/soak/soak.sh runs them).

  load   --port N [--conns 32] --seconds S
         keeps N connections to the echo server busy: each sends a message (1..2048 bytes),
         waits for its echo, checks it, sends the next
  churn  --mode http|echo --port N --seconds S
         a new connection for each exchange, in a tight loop: one HTTP GET with
         "Connection: close" (read to end of stream, expect 200) or one echo, then close

Each prints one line of counts at the end, e.g. "churn: 123456 connections, 0 errors";
after an error it also names the first one. Exits 1 if there was any error. An exchange
that sees no progress for 10 s is an error (the server stranded a fiber).
"""
import argparse
import os
import selectors
import socket
import sys
import time

STALL_S = 10.0


def message(i):
    n = 1 + (i * 7919) % 2048
    return (b"%d:" % i + b"x" * n)[:n]


def load(port, conns, seconds):
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port), timeout=STALL_S)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    state = {}  # socket -> [expected message, bytes received so far, when it was sent]
    sent = 0
    for s in socks:
        msg = message(sent)
        sent += 1
        s.sendall(msg)
        state[s] = [msg, bytearray(), time.monotonic()]
        sel.register(s, selectors.EVENT_READ)
    echoes, errors, first_error = 0, 0, None
    end = time.monotonic() + seconds
    checked = time.monotonic()
    while (now := time.monotonic()) < end:
        if now - checked >= 1:  # one stalled connection among busy ones is an error too
            checked = now
            if any(now - sent_at > STALL_S for _, _, sent_at in state.values()):
                errors += 1
                first_error = first_error or "a connection got no echo for %.0f s" % STALL_S
                break
        ready = sel.select(timeout=1)
        for key, _ in ready:
            s = key.fileobj
            expected, got, _ = state[s]
            chunk = s.recv(65536)
            if not chunk:
                errors += 1
                first_error = first_error or "the server closed a connection"
                sel.unregister(s)
                continue
            got += chunk
            if len(got) < len(expected):
                continue
            if bytes(got) != expected:
                errors += 1
                first_error = first_error or "an echo differs from its message"
            echoes += 1
            msg = message(sent)
            sent += 1
            s.sendall(msg)
            state[s] = [msg, bytearray(), time.monotonic()]
        if not sel.get_map():
            break
    # Every echo in flight read before closing: a close with unread bytes is a reset, which
    # the server would count as an error.
    for s, (expected, got, _) in state.items():
        try:
            while len(got) < len(expected) and (chunk := s.recv(65536)):
                got += chunk
        except OSError as e:
            errors += 1
            first_error = first_error or "draining: %s" % e
        s.close()
    return "load: %d echoes on %d connections, %.0f echoes/s" % (
        echoes, conns, echoes / seconds), errors, first_error


HTTP_GET = b"GET /churn HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def churn_once(port, mode, i):
    with socket.create_connection(("127.0.0.1", port), timeout=STALL_S) as s:
        if mode == "http":
            s.sendall(HTTP_GET)
            answer = bytearray()
            while chunk := s.recv(65536):
                answer += chunk
            if not answer.startswith(b"HTTP/1.1 200"):
                return "an answer is not a 200: %r" % bytes(answer[:80])
            if not answer.endswith(b"hello from the soak\n"):
                return "an answer has the wrong body: %r" % bytes(answer[-80:])
        else:
            msg = message(i)
            s.sendall(msg)
            got = bytearray()
            while len(got) < len(msg):
                chunk = s.recv(65536)
                if not chunk:
                    return "the server closed before echoing"
                got += chunk
            if bytes(got) != msg:
                return "an echo differs from its message"
    return None


def churn(port, mode, seconds):
    done, errors, first_error = 0, 0, None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            why = churn_once(port, mode, done)
        except OSError as e:
            why = "%s: %s" % (type(e).__name__, e)
        if why:
            errors += 1
            first_error = first_error or why
        done += 1
    return "churn: %d connections, %.0f connections/s" % (done, done / seconds), errors, first_error


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["load", "churn"])
    p.add_argument("--mode", choices=["http", "echo"], default="echo")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--seconds", type=float, required=True)
    a = p.parse_args()
    if a.what == "load":
        line, errors, first_error = load(a.port, a.conns, a.seconds)
    else:
        line, errors, first_error = churn(a.port, a.mode, a.seconds)
    print("%s, %d errors%s" % (line, errors, ": first: " + first_error if first_error else ""))
    sys.stdout.flush()
    os._exit(1 if errors else 0)


if __name__ == "__main__":
    main()
