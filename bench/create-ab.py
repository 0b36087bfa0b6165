#!/usr/bin/env python3
"""Creates tokens through two admin APIs side by side, alternating, and reports each side's create latency and the ratio.

Two builds run at once on the same machine (each with its own redis-server, e.g. two ./run.sh with ZP_RUN_DIR and
ZP_RUN_PORT_OFFSET), so machine load falls on both alike; each round sends one create to each, in random order, over
kept-alive connections. With --webhook, a second phase registers a webhook on side B (a local receiver answering 204)
and measures again: the cost of the audit trail's hand-over to an organization's webhook outbox and its deliveries.

  bench/create-ab.py --a http://127.0.0.1:8381 --a-key KEY_A --b http://127.0.0.1:8481 --b-key KEY_B [--n 400] [--webhook]
"""
import argparse
import http.client
import http.server
import json
import random
import statistics
import threading
import time
import urllib.parse
import uuid


class Side:
    def __init__(self, name, url, key):
        self.name = name
        parsed = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        self.key = key
        self.org = f"ab-{name.lower()}-{uuid.uuid4().hex[:12]}"

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.key}", "X-ZeroPath-Actor": "bench"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise SystemExit(f"{self.name}: {method} {path} -> {response.status} {payload[:300]!r}")
        return payload

    def create(self):
        started = time.perf_counter()
        self.call("POST", f"/admin/v1/orgs/{self.org}/tokens", {"userId": "alice", "name": "bench", "expiresInDays": 30})
        return (time.perf_counter() - started) * 1000.0


def summary(samples):
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered),
        "p90": ordered[int(len(ordered) * 0.9) - 1],
        "mean": statistics.fmean(ordered),
    }


def phase(a, b, n, warmup):
    for _ in range(warmup):
        a.create()
        b.create()
    times = {a.name: [], b.name: []}
    for _ in range(n):
        pair = [a, b]
        random.shuffle(pair)
        for side in pair:
            times[side.name].append(side.create())
    return times


def report(title, times, a, b):
    sa, sb = summary(times[a.name]), summary(times[b.name])
    print(f"{title}: {len(times[a.name])} creates each, alternating")
    for name, s in ((a.name, sa), (b.name, sb)):
        print(f"  {name}: p50 {s['p50']:.2f} ms  p90 {s['p90']:.2f} ms  mean {s['mean']:.2f} ms")
    print(f"  B/A: p50 {sb['p50'] / sa['p50']:.2f}x  p90 {sb['p90'] / sa['p90']:.2f}x  mean {sb['mean'] / sa['mean']:.2f}x")


class Receiver(http.server.BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True)
    parser.add_argument("--a-key", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--b-key", required=True)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--webhook", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    a, b = Side("A", args.a, args.a_key), Side("B", args.b, args.b_key)
    for side in (a, b):
        side.call("PUT", f"/admin/v1/orgs/{side.org}/members/alice", {"permissions": ["scans:read", "vulns:write"]})
    report("no webhook", phase(a, b, args.n, args.warmup), a, b)

    if args.webhook:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        b.call("POST", f"/admin/v1/orgs/{b.org}/webhooks", {"url": url, "events": ["token.created"]})
        times = phase(a, b, args.n, args.warmup)
        report("webhook on B (token.created delivered to a local receiver)", times, a, b)
        deadline = time.time() + 60
        while Receiver.received < args.n + args.warmup and time.time() < deadline:
            time.sleep(0.2)
        print(f"  deliveries received: {Receiver.received} of {args.n + args.warmup}")
        server.shutdown()


if __name__ == "__main__":
    main()
