#!/usr/bin/python3
"""podtune benchmarks: figures as ratios against a baseline measured in the same run.

Two HTTPS servers run side by side on loopback, with the same libmicrohttpd /
GnuTLS settings and the same number of worker threads:

  baseline  bench/baseline_server.c — POST /mutate: read the body, parse it with
            jansson, answer {"response":{"uid":…,"allowed":true}}; no engine work.
  podtune   `podtune serve` with the bundled policies (logs at the default level).

Load is AdmissionReview v1 CREATE requests built from test/fixtures/pods/*.yaml
(every fixture equally often, round robin). For each server:

  (a) throughput: wrk, C keep-alive connections for D seconds, R rounds
      interleaved (baseline, podtune, podtune, baseline, …), median reported,
      together with the server's CPU time per request;
  (b) latency: wrk, one keep-alive connection, rounds of N requests
      interleaved the same way, median of each round's p50/p90/p99/p99.9;
  (c) memory: VmRSS before load and after all load, and the peak (VmHWM);
  (d) engine only: instructions per admission from callgrind on
      `podtune mutate --policies policies -o patch` over the fixture pods vs
      the same over the non-target pods only, and the same again with the
      review JSON and `-o review` (deterministic; no server involved).

The table prints absolute figures and podtune/baseline ratios. There are no
pass/fail thresholds: the exit status is 0 when everything was measured, 3
when a part was skipped (a tool is missing; the reason is printed), 2 on a
usage or set-up error (binary missing, baseline does not build, server does
not start or answers wrongly).

usage: /usr/bin/python3 bench/run.py --podtune build/podtune [--quick] [options]
"""

import argparse
import glob
import http.client
import json
import os
import re
import resource
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")


class SetupError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


# ---- the host --------------------------------------------------------------


def online_cpus():
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def tool_version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        out = (p.stdout + p.stderr).strip().splitlines()
        return out[0] if out else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def proc_status(pid):
    """VmRSS and VmHWM of pid in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(("VmRSS:", "VmHWM:")):
                out[ln.split(":")[0]] = int(ln.split()[1])
    return out


def cpu_seconds(pid):
    """utime + stime of pid (all threads) in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / float(ticks)


# ---- load: AdmissionReviews from the fixture pods ------------------------------


def load_pods(fixtures):
    import yaml  # python3-yaml, in .ci/deps

    pods = []
    for path in sorted(glob.glob(os.path.join(fixtures, "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if isinstance(doc, dict) and doc.get("kind") == "Pod":
                    pods.append((os.path.basename(path), doc))
    if not pods:
        raise SetupError("no pods found in %s" % fixtures)
    return pods


def is_target(pod):
    """Contract §1, only to label the mix (podtune's answer is what counts)."""
    md = pod.get("metadata") or {}
    labels = md.get("labels") or {}
    if "kubernetes.io/config.mirror" in (md.get("annotations") or {}):
        return False
    if labels.get("spark-role") in ("driver", "executor"):
        return True
    return labels.get("type") == "flink-native-kubernetes" and labels.get("component") in (
        "jobmanager", "taskmanager")


def review_for(pod, n):
    """An AdmissionReview v1 CREATE request as the API server sends it."""
    md = pod.get("metadata") or {}
    ns = md.get("namespace", "default")
    gvk = {"group": "", "version": "v1", "kind": "Pod"}
    gvr = {"group": "", "version": "v1", "resource": "pods"}
    req = {
        "uid": str(uuid.UUID(int=0x5EED0000 + n)),
        "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
        "namespace": ns,
        "operation": "CREATE",
        "userInfo": {
            "username": "system:serviceaccount:%s:spark" % ns,
            "uid": "5b7c9e1f-2a3d-4e6f-8a9b-0c1d2e3f4a5b",
            "groups": ["system:serviceaccounts", "system:serviceaccounts:" + ns,
                       "system:authenticated"],
        },
        "object": pod,
        "oldObject": None,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    if md.get("name"):
        req["name"] = md["name"]
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def lua_string(s):
    """A Lua long string holding s verbatim (a level its text does not close)."""
    level = 0
    while ("]" + "=" * level + "]") in s:
        level += 1
    eq = "=" * level
    # A newline right after the opening bracket is dropped by Lua; add one.
    return "[%s[\n%s]%s]" % (eq, s, eq)


LUA_TEMPLATE = r"""-- generated by bench/run.py: AdmissionReview CREATE requests, round robin.
local bodies = {
%(bodies)s
}
local reqs, idx, done_n = {}, 0, 0
local stop_after = %(stop_after)d

function init(args)
  for i, b in ipairs(bodies) do
    reqs[i] = wrk.format("POST", "/mutate", {["Content-Type"] = "application/json"}, b)
  end
  -- threads start at different points of the mix
  idx = math.random(#reqs) - 1
end

function request()
  idx = idx %% #reqs + 1
  return reqs[idx]
end
%(response)s
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,' ..
    '"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d,' ..
    '"p50":%%d,"p90":%%d,"p99":%%d,"p999":%%d,"max":%%d,"mean":%%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""

LUA_STOP = r"""
function response(status, headers, body)
  done_n = done_n + 1
  if done_n == stop_after then
    -- wrk sleeps through its whole -d even after thread:stop(); SIGINT to its
    -- main thread (a process-wide kill may land on this thread instead) ends
    -- the sleep and still prints the summary. Without LuaJIT's ffi the run
    -- simply lasts until -d.
    wrk.thread:stop()
    local ok, ffi = pcall(require, "ffi")
    if ok and pcall(ffi.cdef, "int getpid(void); int tgkill(int tgid, int tid, int sig);") then
      local pid = ffi.C.getpid()
      ffi.C.tgkill(pid, pid, 2)
    end
  end
end
"""


def write_lua(path, bodies, stop_after):
    text = LUA_TEMPLATE % {
        "bodies": ",\n".join(lua_string(b) for b in bodies),
        "stop_after": stop_after,
        "response": LUA_STOP if stop_after > 0 else "",
    }
    with open(path, "w") as f:
        f.write(text)


# ---- servers -------------------------------------------------------------------


class Server:
    """A server process started by the harness (and only stopped by its pid)."""

    def __init__(self, name, cmd, log_path, port_re, cpus):
        self.name, self.cmd, self.log_path, self.port_re = name, cmd, log_path, port_re
        if cpus and shutil.which("taskset"):
            self.cmd = ["taskset", "-c", ",".join(map(str, cpus))] + cmd
        self.proc = None
        self.port = None

    def start(self, timeout=15):
        # O_APPEND, so truncating the log between runs keeps it small.
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=self.logf,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            with open(self.log_path, "rb") as f:
                head = f.read(65536).decode("utf-8", "replace")
            m = re.search(self.port_re, head)
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            raise SetupError("%s did not start (%s); its output:\n%s" % (
                self.name, " ".join(self.cmd), self.tail()))

    def wait_ready(self, ctx, timeout=15):
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=2)
                c.request("GET", "/readyz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
                last = "status %d" % r.status
            except (OSError, http.client.HTTPException) as e:
                last = str(e)
            time.sleep(0.1)
        raise SetupError("%s not ready on /readyz (%s); its output:\n%s" % (
            self.name, last, self.tail()))

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""

    def truncate_log(self):
        os.truncate(self.log_path, 0)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "logf", None):
            self.logf.close()
            self.logf = None


def check_answers(server, ctx, reviews, expect_patch):
    """One request per review: 200, the same uid, allowed; counts patches."""
    patched = 0
    c = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=10)
    for name, body, rv in reviews:
        c.request("POST", "/mutate", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if r.status != 200:
            raise SetupError("%s answered %d to %s: %r" % (server.name, r.status, name, data[:300]))
        resp = json.loads(data).get("response") or {}
        if resp.get("uid") != rv["request"]["uid"] or resp.get("allowed") is not True:
            raise SetupError("%s gave a wrong answer to %s: %r" % (server.name, name, data[:300]))
        if resp.get("patch"):
            patched += 1
    c.close()
    if expect_patch and patched == 0:
        raise SetupError("%s patched none of the fixture pods: is it using the bundled policies?"
                         % server.name)
    return patched


# ---- wrk -----------------------------------------------------------------------


def run_wrk(server, script, threads, conns, duration, cpus, timeout_s=10):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration,
           "--timeout", "%ds" % timeout_s, "-s", script,
           "https://127.0.0.1:%d/mutate" % server.port]
    if cpus and shutil.which("taskset"):
        cmd = ["taskset", "-c", ",".join(map(str, cpus))] + cmd
    cpu0 = cpu_seconds(server.proc.pid)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    wall = time.monotonic() - t0
    cpu = cpu_seconds(server.proc.pid) - cpu0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"^BENCHJSON (\{.*\})$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise SetupError("wrk failed against %s (rc %d):\n%s%s" % (
            server.name, p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    res = json.loads(m.group(1))
    res["server_cpu_s"] = cpu
    res["wrk_cpu_s"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    res["wall_s"] = wall
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6) if res["duration_us"] else 0.0
    res["cpu_us_per_req"] = cpu * 1e6 / res["requests"] if res["requests"] else float("nan")
    res["errors"] = sum(res[k] for k in ("connect", "read", "write", "status", "timeout"))
    if server.proc.poll() is not None:
        raise SetupError("%s exited during the load (rc %s):\n%s" % (
            server.name, server.proc.returncode, server.tail()))
    return res


# ---- callgrind -----------------------------------------------------------------


def callgrind_ir(prog, args, workdir, tag, toggle=()):
    """Instructions executed by prog (only inside the toggle functions, if any)."""
    out = os.path.join(workdir, "callgrind.%s.out" % tag)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
    cmd += ["--toggle-collect=" + f for f in toggle]
    cmd += [prog] + args
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       cwd=REPO, timeout=600)
    if p.returncode not in (0, 1):
        raise SetupError("callgrind run failed (%s): %s" % (" ".join(cmd), p.stderr[-1500:]))
    with open(out) as f:
        for ln in f:
            if ln.startswith(("summary:", "totals:")):
                return int(ln.split()[1])
    raise SetupError("no instruction total in " + out)


def engine_figures(podtune, policies, variants, workdir, copies):
    """Instructions per admission as the slope between 1 and 1+copies passes over
    the same files, so the fixed start-up cost (policy load) cancels out.
    variants: {name: (output format, all files, non-target files)}."""
    def per_pod(fmt_, files, tag):
        base = ["mutate", "--policies", policies, "-o", fmt_]
        one = callgrind_ir(podtune, base + files, workdir, tag + ".x1")
        many = callgrind_ir(podtune, base + files * (1 + copies), workdir, tag + ".xn")
        slope = (many - one) / float(copies * len(files))
        return slope, one - slope * len(files)

    out = {"version_ir": callgrind_ir(podtune, ["version"], workdir, "version"),
           "copies": copies, "variants": {}}
    for name, (fmt_, all_files, nt_files) in variants.items():
        tag = re.sub(r"[^a-z]+", "-", name)
        all_slope, all_fixed = per_pod(fmt_, all_files, tag + ".all")
        nt_slope, nt_fixed = per_pod(fmt_, nt_files, tag + ".nontarget")
        out["variants"][name] = {
            "all_files": len(all_files), "nontarget_files": len(nt_files),
            "all_ir_per_pod": all_slope, "nontarget_ir_per_pod": nt_slope,
            "all_fixed_ir": all_fixed, "nontarget_fixed_ir": nt_fixed,
        }
    return out


def request_path_figures(podtune, policies, baseline_bin, reviews, workdir):
    """Per review, in process, what each server does between "body received" and
    "answer built": podtune's pt_review_decode + pt_review_respond against the
    baseline's echo_review (jansson parse + a tiny answer). Deterministic."""
    pt_ir = callgrind_ir(podtune, ["mutate", "--policies", policies, "-o", "review"] + reviews,
                         workdir, "podtune-request-path",
                         toggle=("pt_review_decode", "pt_review_respond"))
    base_ir = callgrind_ir(baseline_bin, ["--replay"] + reviews, workdir,
                           "baseline-request-path", toggle=("echo_review",))
    return {"reviews": len(reviews), "podtune_ir_per_review": pt_ir / float(len(reviews)),
            "baseline_ir_per_review": base_ir / float(len(reviews))}


# ---- report --------------------------------------------------------------------


def fmt(v, unit=""):
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, float) and abs(v) < 100:
        return "%.1f%s" % (v, unit)
    return "{:,.0f}{}".format(v, unit)


def ratio(a, b):
    if a is None or b is None or not b or a != a or b != b:
        return "-"
    return "%.2fx" % (a / float(b))


def table(rows):
    w0 = max(len(r[0]) for r in rows)
    w = [max(len(r[i]) for r in rows) for i in range(1, 4)]
    out = []
    for i, r in enumerate(rows):
        out.append("  %-*s  %*s  %*s  %*s" % (w0, r[0], w[0], r[1], w[1], r[2], w[2], r[3]))
        if i == 0:
            out.append("  " + "-" * (w0 + sum(w) + 6))
    return "\n".join(out)


def med(vals):
    vals = [v for v in vals if v == v]
    return statistics.median(vals) if vals else float("nan")


# ---- main ----------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="podtune benchmarks (ratios against a baseline)")
    ap.add_argument("--podtune", required=True, help="the podtune binary (build/podtune)")
    ap.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    ap.add_argument("--policies", default=os.path.join(REPO, "policies"))
    ap.add_argument("--fixtures", default=os.path.join(REPO, "test", "fixtures", "pods"))
    ap.add_argument("--out", help="work directory (default: bench/ next to the binary)")
    ap.add_argument("--duration", type=int, help="seconds per throughput run (10; quick 3)")
    ap.add_argument("--rounds", type=int, help="interleaved throughput rounds (3; quick 1)")
    ap.add_argument("--connections", type=int, default=32, help="keep-alive connections (32)")
    ap.add_argument("--latency-requests", type=int,
                    help="requests per latency round on one connection (1000)")
    ap.add_argument("--latency-rounds", type=int,
                    help="interleaved latency rounds (5; quick 1)")
    ap.add_argument("--threads", type=int,
                    help="server worker threads for both servers (default: the server CPUs)")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not split CPUs between the servers and wrk")
    ap.add_argument("--no-callgrind", action="store_true", help="skip the engine-only figure")
    ap.add_argument("--copies", type=int, help="extra passes for the callgrind slope (10; quick 4)")
    a = ap.parse_args()

    q = a.quick
    duration = a.duration or (3 if q else 10)
    rounds = a.rounds or (1 if q else 3)
    lat_n = a.latency_requests or 1000
    lat_rounds = a.latency_rounds or (1 if q else 5)
    copies = a.copies or (4 if q else 10)
    podtune = os.path.abspath(a.podtune)
    policies = os.path.abspath(a.policies)
    work = os.path.abspath(a.out or os.path.join(os.path.dirname(podtune), "bench"))
    os.makedirs(work, exist_ok=True)
    skipped = []

    if not os.access(podtune, os.X_OK):
        print("bench: %s is not an executable (run `make all` first)" % podtune, file=sys.stderr)
        return 2

    missing = [t for t in ("cc", "pkg-config") if not shutil.which(t)]
    if missing:
        print("bench: missing %s (Debian: build-essential pkg-config)" % ", ".join(missing),
              file=sys.stderr)
        return 2
    have_wrk = shutil.which("wrk") is not None
    have_vg = shutil.which("valgrind") is not None
    if not have_wrk:
        skipped.append("HTTP figures (a)-(c): `wrk` is not installed "
                       "(Debian: apt-get install wrk)")
    if not have_vg and not a.no_callgrind:
        skipped.append("engine figure (d): `valgrind` is not installed "
                       "(Debian: apt-get install valgrind)")

    # CPUs: servers on one half, wrk on the other, so neither steals the other's core.
    cpus = online_cpus()
    if a.no_pin or len(cpus) < 2 or not shutil.which("taskset"):
        srv_cpus, gen_cpus = [], []
        threads = a.threads or len(cpus)
        gen_threads = max(1, min(4, len(cpus)))
    else:
        half = len(cpus) // 2
        srv_cpus, gen_cpus = cpus[:len(cpus) - half], cpus[len(cpus) - half:]
        threads = a.threads or len(srv_cpus)
        gen_threads = len(gen_cpus)
    conns = max(a.connections, gen_threads)

    # ---- set-up -----------------------------------------------------------------
    pods = load_pods(a.fixtures)
    reviews = []
    for i, (fname, pod) in enumerate(pods):
        rv = review_for(pod, i)
        reviews.append((fname, json.dumps(rv, separators=(",", ":")), rv))
    nontarget_files = sorted({os.path.join(a.fixtures, f) for f, p in pods if not is_target(p)})
    all_files = sorted({os.path.join(a.fixtures, f) for f, _ in pods})
    n_targets = sum(1 for _, p in pods if is_target(p))
    sizes = [len(b) for _, b, _ in reviews]

    log("podtune bench%s — %s" % (" (quick)" if q else "", time.strftime("%Y-%m-%d %H:%M:%S")))
    log("  host      %s, %d CPUs online; %s" % (
        cpu_model(), len(cpus),
        "servers pinned to CPU %s, wrk to CPU %s" % (",".join(map(str, srv_cpus)),
                                                     ",".join(map(str, gen_cpus)))
        if srv_cpus else "no CPU pinning"))
    log("  tools     %s; %s; libmicrohttpd %s, jansson %s, GnuTLS %s" % (
        tool_version(["wrk", "--version"]) if have_wrk else "wrk MISSING",
        tool_version(["valgrind", "--version"]) if have_vg else "valgrind MISSING",
        tool_version(["pkg-config", "--modversion", "libmicrohttpd"]),
        tool_version(["pkg-config", "--modversion", "jansson"]),
        tool_version(["pkg-config", "--modversion", "gnutls"])))
    log("  loadavg   %s (before the run; other work on the host skews absolute figures)"
        % loadavg())
    log("  podtune   %s (%s)" % (podtune, tool_version([podtune, "version"])))
    log("  load      %d AdmissionReview v1 CREATE bodies from %s (%d targets, %d not), "
        "%d..%d bytes, mean %d" % (len(reviews), os.path.relpath(a.fixtures, REPO), n_targets,
                                   len(reviews) - n_targets, min(sizes), max(sizes),
                                   statistics.mean(sizes)))

    results = {"quick": q, "cpus": len(cpus), "server_cpus": srv_cpus, "wrk_cpus": gen_cpus,
               "threads": threads, "connections": conns, "duration": duration,
               "rounds": rounds, "latency_requests": lat_n,
               "latency_rounds": lat_rounds}
    servers = []
    baseline_bin = os.path.join(work, "baseline_server")
    try:
        # cc $(pkg-config --cflags --libs libmicrohttpd jansson), as podtune is built
        cc = ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-g", "-Wall", "-Wextra",
              "-I" + os.path.join(REPO, "include"), os.path.join(BENCH, "baseline_server.c"),
              "-o", baseline_bin]
        pc = subprocess.run(["pkg-config", "--cflags", "--libs", "libmicrohttpd", "jansson"],
                            capture_output=True, text=True)
        if pc.returncode != 0:
            raise SetupError("pkg-config libmicrohttpd jansson: " + pc.stderr.strip())
        p = subprocess.run(cc + pc.stdout.split(), capture_output=True, text=True)
        if p.returncode != 0:
            raise SetupError("the baseline server does not build:\n" + p.stderr)

        if have_wrk:

            certs = os.path.join(work, "certs")
            p = subprocess.run([podtune, "certs", "--out", certs, "--dns", "localhost",
                                "--ip", "127.0.0.1"], capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                raise SetupError("podtune certs failed: " + p.stderr)
            ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
            ctx.check_hostname = False  # we connect to 127.0.0.1; the chain is still verified

            tput_lua = os.path.join(work, "throughput.lua")
            lat_lua = os.path.join(work, "latency.lua")
            write_lua(tput_lua, [b for _, b, _ in reviews], 0)
            write_lua(lat_lua, [b for _, b, _ in reviews], lat_n)

            tls = ["--tls-cert", os.path.join(certs, "tls.crt"),
                   "--tls-key", os.path.join(certs, "tls.key")]
            base = Server("baseline", [baseline_bin, "--addr", "127.0.0.1:0",
                                       "--threads", str(threads)] + tls,
                          os.path.join(work, "baseline.log"), r"listening port (\d+)", srv_cpus)
            pt = Server("podtune", [podtune, "serve", "--policies", policies, "--addr",
                                    "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
                                    "--threads", str(threads), "--log-format", "json"] + tls,
                        os.path.join(work, "podtune.log"), r'"msg":"listening".*?"port":(\d+)',
                        srv_cpus)
            servers = [base, pt]
            for s in servers:
                if os.path.exists(s.log_path):
                    s.truncate_log()
                s.start()
                s.wait_ready(ctx)
            patched = {s.name: check_answers(s, ctx, reviews, s is pt) for s in servers}
            log("  answers   both servers answered all %d reviews (200, same uid, allowed); "
                "podtune patched %d of them" % (len(reviews), patched["podtune"]))
            for s in servers:
                s.truncate_log()
            mem0 = {s.name: proc_status(s.proc.pid) for s in servers}

            log("  config    %d server threads each; throughput: wrk -t%d -c%d, %ds x %d "
                "round(s); latency: wrk -t1 -c1, %d requests x %d round(s)" % (
                    threads, gen_threads, conns, duration, rounds, lat_n, lat_rounds))
            # warm-up: connection set-up, allocator arenas, page faults
            for s in servers:
                run_wrk(s, tput_lua, gen_threads, conns, 1, gen_cpus)
                s.truncate_log()

            tput = {s.name: [] for s in servers}
            for r in range(rounds):
                order = servers if r % 2 == 0 else servers[::-1]
                for s in order:
                    res = run_wrk(s, tput_lua, gen_threads, conns, duration, gen_cpus)
                    tput[s.name].append(res)
                    s.truncate_log()
                    log("  round %d  %-8s %9.0f req/s  %6.1f us CPU/req  p99 %6d us  "
                        "errors %d" % (r + 1, s.name, res["rps"], res["cpu_us_per_req"],
                                       res["p99"], res["errors"]))
            lat = {s.name: [] for s in servers}
            for r in range(lat_rounds):
                order = servers[::-1] if r % 2 == 0 else servers
                for s in order:
                    res = run_wrk(s, lat_lua, 1, 1, max(30, lat_n // 100), gen_cpus)
                    lat[s.name].append(res)
                    s.truncate_log()
                    log("  round %d  %-8s 1 conn: p50 %5d us  p99 %6d us  %5d requests in "
                        "%.1fs" % (r + 1, s.name, res["p50"], res["p99"], res["requests"],
                                   res["duration_us"] / 1e6))
            mem1 = {s.name: proc_status(s.proc.pid) for s in servers}

            results["http"] = {s.name: {"throughput": tput[s.name], "latency": lat[s.name],
                                        "mem_idle": mem0[s.name], "mem_after": mem1[s.name]}
                               for s in servers}
    except SetupError as e:
        print("bench: " + str(e), file=sys.stderr)
        return 2
    finally:
        for s in servers:
            s.stop()

    if have_vg and not a.no_callgrind:
        # The same reviews the servers got, as files for `mutate -o review`.
        rdir = os.path.join(work, "reviews")
        os.makedirs(rdir, exist_ok=True)
        rv_all, rv_nt = [], []
        for i, (fname, body, rv) in enumerate(reviews):
            path = os.path.join(rdir, "%02d-%s.json" % (i, fname.rsplit(".", 1)[0]))
            with open(path, "w") as f:
                f.write(body)
            rv_all.append(path)
            if not is_target(rv["request"]["object"]):
                rv_nt.append(path)
        variants = {"pods, -o patch": ("patch", all_files, nontarget_files),
                    "reviews, -o review": ("review", rv_all, rv_nt)}
        log("  callgrind podtune mutate: %d fixture pods vs %d non-target pods (YAML, -o patch; "
            "review JSON, -o review), 1 and %d passes" % (len(all_files), len(nontarget_files),
                                                           1 + copies))
        try:
            for old in glob.glob(os.path.join(work, "callgrind.*.out")):
                os.unlink(old)
            results["engine"] = engine_figures(podtune, policies, variants, work, copies)
            if os.path.exists(baseline_bin):
                results["request_path"] = request_path_figures(podtune, policies, baseline_bin,
                                                               rv_all, work)
        except SetupError as e:
            print("bench: " + str(e), file=sys.stderr)
            return 2

    # ---- the table ------------------------------------------------------------------
    log("")
    rows = [("", "baseline", "podtune", "podtune/baseline")]
    if "http" in results:
        h = results["http"]

        def both(f):
            return f(h["baseline"]), f(h["podtune"])

        def add(label, pair, unit=""):
            rows.append((label, fmt(pair[0], unit), fmt(pair[1], unit), ratio(pair[1], pair[0])))

        add("throughput, req/s (median)", both(lambda x: med([t["rps"] for t in x["throughput"]])))
        add("capacity, req/s per server CPU", both(
            lambda x: 1e6 / med([t["cpu_us_per_req"] for t in x["throughput"]])))
        add("server CPU per request, us", both(
            lambda x: med([t["cpu_us_per_req"] for t in x["throughput"]])))
        add("server CPU use under load, %", both(lambda x: med(
            [100.0 * t["server_cpu_s"] / (t["duration_us"] / 1e6) for t in x["throughput"]])))
        add("wrk CPU use under load, %", both(lambda x: med(
            [100.0 * t["wrk_cpu_s"] / (t["duration_us"] / 1e6) for t in x["throughput"]])))
        add("loaded latency p99, us", both(lambda x: med([t["p99"] for t in x["throughput"]])))
        add("latency p50, 1 conn, us", both(lambda x: med([t["p50"] for t in x["latency"]])))
        add("latency p90, 1 conn, us", both(lambda x: med([t["p90"] for t in x["latency"]])))
        add("latency p99, 1 conn, us", both(lambda x: med([t["p99"] for t in x["latency"]])))
        add("latency p99.9, 1 conn, us", both(lambda x: med([t["p999"] for t in x["latency"]])))
        add("RSS idle, MiB", both(lambda x: x["mem_idle"].get("VmRSS", 0) / 1024.0))
        add("RSS after load, MiB", both(lambda x: x["mem_after"].get("VmRSS", 0) / 1024.0))
        add("RSS peak (VmHWM), MiB", both(lambda x: x["mem_after"].get("VmHWM", 0) / 1024.0))
        errs = both(lambda x: sum(t["errors"] for t in x["throughput"] + x["latency"]))
        add("wrk errors (all runs)", errs)
        lat_reqs = both(lambda x: min(t["requests"] for t in x["latency"]))
        if min(lat_reqs) < lat_n:
            skipped.append("latency runs stopped at the time bound before %d requests "
                           "(%d / %d)" % (lat_n, lat_reqs[0], lat_reqs[1]))
        cpu_use = h["baseline"]["throughput"]
        if srv_cpus and cpu_use and med([100.0 * t["server_cpu_s"] / (t["duration_us"] / 1e6)
                                         for t in cpu_use]) < 85.0 * len(srv_cpus):
            log("note: the baseline server used under 85% of its CPUs under load: its throughput\n"
                "      was limited by something else (wrk, or other work on this host), so\n"
                "      req/s understates the gap; CPU per request is the figure to compare.")
    if "request_path" in results:
        rp = results["request_path"]
        rows.append(("request path in process, Ir/review", fmt(rp["baseline_ir_per_review"]),
                     fmt(rp["podtune_ir_per_review"]),
                     ratio(rp["podtune_ir_per_review"], rp["baseline_ir_per_review"])))
    if "engine" in results:
        e = results["engine"]
        rows.append(("engine (callgrind, Ir)", "non-target", "fixture mix", "mix/non-target"))
        for name, v in e["variants"].items():
            rows.append(("instructions per pod, " + name, fmt(v["nontarget_ir_per_pod"]),
                         fmt(v["all_ir_per_pod"]),
                         ratio(v["all_ir_per_pod"], v["nontarget_ir_per_pod"])))
        v = e["variants"]["pods, -o patch"]
        rows.append(("fixed start-up (policy load)", fmt(v["nontarget_fixed_ir"]),
                     fmt(v["all_fixed_ir"]), "version: " + fmt(e["version_ir"])))
    if len(rows) > 1:
        print(table(rows))
    results["loadavg_after"] = loadavg()
    log("  loadavg after the run: %s" % results["loadavg_after"])
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    log("\n  raw figures: %s" % os.path.join(work, "results.json"))
    for s in skipped:
        log("SKIPPED: " + s)
    return 3 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
