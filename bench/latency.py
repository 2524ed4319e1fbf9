#!/usr/bin/python3
"""Latency of one admission over one keep-alive HTTPS connection, and RSS after.

Starts `podtune serve` on an ephemeral loopback port with the bundled policies
and a fresh `podtune certs` pair, sends the sample Spark driver review N times
(default 10,000) on a single connection, and prints the client-side round trip
(median, p90, p99, p99.9, max), the server-side time from the admission log
lines, and the server's resident memory before and after.

usage: /usr/bin/python3 bench/latency.py --podtune build/podtune [-n 10000] [--policies DIR]
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(REPO, "test", "integration", "samples", "spark-driver-review.json")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return -1


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * (len(sorted_vals) - 1)))))
    return sorted_vals[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--podtune", required=True)
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--policies", default=os.path.join(REPO, "policies"))
    ap.add_argument("--threads", default="")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="podtune-bench-")
    proc = None
    try:
        certs = os.path.join(tmp, "certs")
        subprocess.run([a.podtune, "certs", "--out", certs, "--dns", "localhost", "--ip", "127.0.0.1"],
                       check=True, capture_output=True, timeout=30)
        log_path = os.path.join(tmp, "serve.log")
        logf = open(log_path, "wb")
        cmd = [a.podtune, "serve", "--policies", a.policies, "--tls-cert", os.path.join(certs, "tls.crt"),
               "--tls-key", os.path.join(certs, "tls.key"), "--addr", "127.0.0.1:0",
               "--metrics-addr", "127.0.0.1:0", "--log-format", "json"]
        if a.threads:
            cmd += ["--threads", a.threads]
        proc = subprocess.Popen(cmd, stdout=logf, stderr=logf)
        port = None
        deadline = time.monotonic() + 10
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            with open(log_path) as f:
                for ln in f:
                    d = json.loads(ln)
                    if d.get("msg") == "listening":
                        port = d["port"]
            time.sleep(0.05)
        if port is None:
            sys.exit("podtune serve did not start:\n" + open(log_path).read())

        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
        body = open(SAMPLE, "rb").read()
        hdrs = {"Content-Type": "application/json"}
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
        rss_start = rss_kib(proc.pid)

        def once():
            conn.request("POST", "/mutate", body, hdrs)
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                sys.exit("unexpected status %d: %r" % (r.status, data[:200]))
            return data

        first = json.loads(once())
        tuned = "patch" in first["response"]
        for _ in range(a.warmup):
            once()
        sock_id = id(conn.sock)
        lat = []
        t0 = time.perf_counter()
        for _ in range(a.n):
            s = time.perf_counter()
            once()
            lat.append(time.perf_counter() - s)
        wall = time.perf_counter() - t0
        if id(conn.sock) != sock_id:
            sys.exit("the connection was not kept alive")
        conn.close()
        rss_end = rss_kib(proc.pid)

        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(15)
        logf.close()
        server_us = []
        with open(log_path) as f:
            for ln in f:
                d = json.loads(ln)
                if d.get("msg") == "admission":
                    server_us.append(d["us"])
        server_us = sorted(server_us[-a.n:])
        lat.sort()
        us = [x * 1e6 for x in lat]
        print("podtune admission latency: %d requests, one keep-alive TLS connection, sample Spark driver "
              "review (%d bytes, %s)" % (a.n, len(body), "tuned" if tuned else "NOT tuned"))
        print("  client round trip  median %.0f us  p90 %.0f us  p99 %.0f us  p99.9 %.0f us  max %.0f us  "
              "mean %.0f us" % (pct(us, 50), pct(us, 90), pct(us, 99), pct(us, 99.9), us[-1], statistics.mean(us)))
        print("  server (log 'us')  median %.0f us  p99 %.0f us  max %.0f us"
              % (pct(server_us, 50), pct(server_us, 99), server_us[-1] if server_us else float("nan")))
        print("  throughput         %.0f requests/s (sequential)" % (a.n / wall))
        print("  server RSS         %.1f MiB at start, %.1f MiB after %d requests"
              % (rss_start / 1024.0, rss_end / 1024.0, a.n + a.warmup + 1))
        print("  exit status after SIGTERM: %d" % rc)
        return 0 if rc == 0 else 1
    finally:
        if proc and proc.poll() is None:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
