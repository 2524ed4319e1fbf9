#!/usr/bin/python3
"""HTTPS integration tier: the real `podtune serve` on loopback, over real TLS.

Reviews in, patches applied with python3-jsonpatch (an independent RFC 6902
implementation) and checked; hostile input; policy reload; certificate
rotation under load; graceful stop; /metrics. Standard library plus
jsonpatch and yaml only. Every wait is a poll with a deadline.

usage: /usr/bin/python3 test/integration/run.py --podtune build/podtune [-k NAME] [-v]
"""

import argparse
import base64
import copy
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

import jsonpatch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "test", "fixtures", "pods")
POLICIES = os.path.join(HERE, "policies")
SAMPLES = os.path.join(HERE, "samples")

ARGS = None
TMP = None
CA_FILES = []


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def eq(got, want, what):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


def poll(fn, timeout, what, interval=0.05):
    """Calls fn until it returns a truthy value or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            last = e
        if time.monotonic() >= deadline:
            raise Fail("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))
        time.sleep(interval)


# ---- certificates --------------------------------------------------------------

def make_certs(name):
    out = os.path.join(TMP, name)
    r = subprocess.run([ARGS.podtune, "certs", "--out", out, "--dns", "localhost", "--ip", "127.0.0.1"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise Fail("podtune certs failed: %s" % r.stderr)
    CA_FILES.append(os.path.join(out, "ca.crt"))
    return out


def client_context():
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    for ca in CA_FILES:
        ctx.load_verify_locations(ca)
    ctx.check_hostname = True
    return ctx


def secret_layout(d, src, stamp):
    """Makes d look like a mounted Kubernetes Secret holding src's tls.crt/tls.key."""
    os.makedirs(d, exist_ok=True)
    data = os.path.join(d, "..%s" % stamp)
    os.makedirs(data)
    for f in ("tls.crt", "tls.key"):
        shutil.copy(os.path.join(src, f), os.path.join(data, f))
    os.symlink("..%s" % stamp, os.path.join(d, "..data"))
    for f in ("tls.crt", "tls.key"):
        os.symlink(os.path.join("..data", f), os.path.join(d, f))


def atomic_swap(d, files, stamp):
    """The kubelet's AtomicWriter: a new timestamped dir, ..data_tmp → rename over ..data, old dir removed."""
    old = os.readlink(os.path.join(d, "..data"))
    data = os.path.join(d, "..%s" % stamp)
    os.makedirs(data)
    for name, content in files.items():
        with open(os.path.join(data, name), "wb") as f:
            f.write(content)
        link = os.path.join(d, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join("..data", name), link)
    os.symlink("..%s" % stamp, os.path.join(d, "..data_tmp"))
    os.rename(os.path.join(d, "..data_tmp"), os.path.join(d, "..data"))
    shutil.rmtree(os.path.join(d, old))


# ---- the server under test ---------------------------------------------------------

class Server:
    def __init__(self, policies, certdir, extra=(), name="server"):
        self.log_path = os.path.join(TMP, "%s-%d.log" % (name, int(time.monotonic() * 1000)))
        self.logf = open(self.log_path, "wb")
        self.cmd = [ARGS.podtune, "serve", "--policies", policies,
                    "--tls-cert", os.path.join(certdir, "tls.crt"),
                    "--tls-key", os.path.join(certdir, "tls.key"),
                    "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
                    "--threads", "2", "--log-format", "json", "--log-level", "debug",
                    "--idle-timeout", "3", "--body-timeout", "3"] + list(extra)
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=self.logf)
        line = poll(lambda: self.find_log("listening") or self.proc.poll() is not None, 10,
                    "the 'listening' log line")
        if line is True:
            raise Fail("podtune serve exited early (%s):\n%s" % (self.proc.returncode, self.log_text()))
        self.port = line["port"]
        self.mport = line["metrics_port"]
        self.ctx = client_context()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self):
        out = []
        for ln in self.log_text().splitlines():
            try:
                out.append(json.loads(ln))
            except ValueError:
                raise Fail("log line is not JSON: %r" % ln)
        return out

    def find_log(self, msg, **fields):
        for d in self.log_lines():
            if d.get("msg") == msg and all(d.get(k) == v for k, v in fields.items()):
                return d
        return None

    def count_log(self, msg):
        return sum(1 for d in self.log_lines() if d.get("msg") == msg)

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            if own:
                c.close()

    def review(self, rv, conn=None, ctype="application/json"):
        st, hdr, data = self.request("POST", "/mutate", json.dumps(rv).encode(), {"Content-Type": ctype}, conn)
        if st != 200:
            raise Fail("POST /mutate: %d %s" % (st, data[:300]))
        return json.loads(data)

    def metrics(self):
        c = http.client.HTTPConnection("127.0.0.1", self.mport, timeout=10)
        try:
            c.request("GET", "/metrics")
            r = c.getresponse()
            data = r.read().decode()
            eq(r.status, 200, "GET /metrics status")
            check(r.getheader("Content-Type", "").startswith("text/plain; version=0.0.4"),
                  "metrics content type %r" % r.getheader("Content-Type"))
            return data
        finally:
            c.close()

    def metric(self, name, **labels):
        """Sum of the samples of name whose labels include the given ones."""
        total = 0.0
        for s_name, s_labels, value in parse_prometheus(self.metrics()):
            if s_name == name and all(s_labels.get(k) == v for k, v in labels.items()):
                total += value
        return total

    def healthy(self):
        st, _, _ = self.request("GET", "/healthz")
        eq(st, 200, "GET /healthz")
        out = self.review(review_for(load_fixture("spark-executor.yaml")))
        check(out["response"]["allowed"] is True, "server answers a valid review after hostile input")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Fail("podtune serve did not exit within %ds of %s" % (timeout, sig))
        self.logf.close()
        return self.proc.returncode


# ---- Prometheus text format -----------------------------------------------------------

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE_RE = re.compile(r"^(%s)(\{(?:%s(?:,%s)*)?,?\})? (\S+)( -?\d+)?$" % (METRIC_NAME, LABEL, LABEL))
HELP_RE = re.compile(r"^# HELP (%s) .*$" % METRIC_NAME)
TYPE_RE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % METRIC_NAME)
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_prometheus(text):
    """Parses the exposition format strictly; raises Fail on any line it cannot read."""
    out = []
    check(text.endswith("\n"), "metrics text ends with a newline")
    for ln in text.split("\n")[:-1]:
        if ln.startswith("#"):
            check(HELP_RE.match(ln) or TYPE_RE.match(ln), "bad comment line in /metrics: %r" % ln)
            continue
        m = SAMPLE_RE.match(ln)
        check(m, "bad sample line in /metrics: %r" % ln)
        try:
            value = float(m.group(3))
        except ValueError:
            raise Fail("bad sample value in /metrics: %r" % ln)
        labels = dict(LABEL_RE.findall(m.group(2) or ""))
        out.append((m.group(1), labels, value))
    return out


# ---- reviews -----------------------------------------------------------------------------

def load_fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return yaml.safe_load(f)


def review_for(pod, op="CREATE", version="v1", dry_run=False, uid=None):
    ns = pod.get("metadata", {}).get("namespace", "default")
    req = {
        "uid": uid or str(uuid.uuid4()),
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "name": pod.get("metadata", {}).get("name", ""),
        "namespace": ns,
        "operation": op,
        "userInfo": {"username": "system:serviceaccount:%s:spark" % ns, "groups": ["system:authenticated"]},
        "object": pod if op != "DELETE" else None,
        "oldObject": pod if op in ("UPDATE", "DELETE") else None,
        "dryRun": dry_run,
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
    }
    return {"apiVersion": "admission.k8s.io/%s" % version, "kind": "AdmissionReview", "request": req}


def patch_of(resp):
    r = resp["response"]
    if "patch" not in r:
        return None
    eq(r.get("patchType"), "JSONPatch", "patchType")
    return json.loads(base64.b64decode(r["patch"]))


MUTATE_STATE = {}


def podtune_mutate(policies, pod):
    """The tuned pod per `podtune mutate -o json`, or None while that CLI cannot read pods yet."""
    path = os.path.join(TMP, "mutate-in-%s.json" % uuid.uuid4().hex)
    with open(path, "w") as f:
        json.dump(pod, f)
    r = subprocess.run([ARGS.podtune, "mutate", "--policies", policies, "-o", "json", path],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0 and "not implemented" in r.stderr:
        MUTATE_STATE["skipped"] = r.stderr.strip()
        return None
    if r.returncode != 0:
        raise Fail("podtune mutate failed (%d): %s" % (r.returncode, r.stderr))
    out = json.loads(r.stdout)
    if isinstance(out, dict) and out.get("kind") == "List":
        eq(len(out["items"]), 1, "podtune mutate items")
        out = out["items"][0]
    if isinstance(out, list):
        eq(len(out), 1, "podtune mutate documents")
        out = out[0]
    return out


# ---- tests ------------------------------------------------------------------------------

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def main_container(pod, name):
    cs = pod["spec"]["containers"]
    for c in cs:
        if c["name"] == name:
            return c
    return cs[0]


@test
def test_routes_and_probes(ctx):
    s = ctx["server"]
    st, hdr, body = s.request("GET", "/healthz")
    eq(st, 200, "GET /healthz")
    st, hdr, body = s.request("GET", "/readyz")
    eq(st, 200, "GET /readyz")
    st, hdr, body = s.request("GET", "/mutate")
    eq(st, 405, "GET /mutate")
    eq(hdr.get("allow"), "POST", "Allow header on 405")
    check("error" in json.loads(body), "405 body is a JSON error")
    st, hdr, body = s.request("POST", "/healthz", b"{}", {"Content-Type": "application/json"})
    eq(st, 405, "POST /healthz")
    check("GET" in hdr.get("allow", ""), "Allow on /healthz 405")
    st, hdr, body = s.request("GET", "/nope")
    eq(st, 404, "GET /nope")
    st, hdr, body = s.request("POST", "/mutate/", b"{}", {"Content-Type": "application/json"})
    eq(st, 404, "POST /mutate/")
    s.healthy()


@test
def test_spark_flink_reviews(ctx):
    s = ctx["server"]
    checked = 0
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.yaml"))):
        pod = load_fixture(os.path.basename(path))
        rv = review_for(pod)
        uid = rv["request"]["uid"]
        resp = s.review(rv)
        eq(resp["apiVersion"], "admission.k8s.io/v1", "response apiVersion")
        eq(resp["kind"], "AdmissionReview", "response kind")
        eq(resp["response"]["uid"], uid, "response uid")
        eq(resp["response"]["allowed"], True, "allowed")
        patch = patch_of(resp)
        labels = pod["metadata"].get("labels", {})
        annotations = pod["metadata"].get("annotations") or {}
        is_target = ((labels.get("spark-role") in ("driver", "executor")
                      or (labels.get("type") == "flink-native-kubernetes"
                          and labels.get("component") in ("jobmanager", "taskmanager")))
                     and "kubernetes.io/config.mirror" not in annotations)
        if not is_target:
            check(patch is None, "%s: non-target pod got a patch" % path)
            tuned = pod
        else:
            check(patch, "%s: target pod got no patch" % path)
            tuned = jsonpatch.apply_patch(pod, patch)
            md = tuned["metadata"]
            ann = md.get("annotations", {})
            spark = "spark-role" in labels
            eq(ann.get("podtune.io/profile-applied"), "it-spark" if spark else "it-flink",
               "%s: profile-applied" % path)
            check(re.match(r"^sha256:[0-9a-f]{12}$", ann.get("podtune.io/policy-digest", "")),
                  "%s: policy digest annotation" % path)
            eq(md["labels"].get("podtune.io/tier"), "it-batch" if spark else "it-streaming",
               "%s: tier label" % path)
            role = labels.get("spark-role") or labels.get("component")
            if role == "driver":
                c = main_container(tuned, "spark-kubernetes-driver")
                eq(tuned["spec"].get("nodeSelector", {}).get("node-lifecycle"), "on-demand", "driver nodeSelector")
                kept = "spark.sql.shuffle.partitions" in annotations.get("podtune.io/keep-spark-conf", "")
                added = [a for a in c.get("args", []) if a == "spark.sql.shuffle.partitions=200"]
                eq(len(added), 0 if kept else 1, "%s: sparkConf in driver args (kept by annotation: %s)"
                   % (path, kept))
                eq(c["args"][0], "driver", "driver args start with 'driver'")
                eq(c["resources"]["limits"].get("ephemeral-storage"), "10Gi", "ephemeral-storage limit")
            elif role == "executor":
                c = main_container(tuned, "spark-kubernetes-executor")
                check({"key": "node-lifecycle", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}
                      in tuned["spec"]["tolerations"], "%s: spot toleration" % path)
                # the built-in tolerations stay, in order, before ours
                eq(tuned["spec"]["tolerations"][:len(pod["spec"].get("tolerations", []))],
                   pod["spec"].get("tolerations", []), "%s: existing tolerations kept" % path)
                envs = {e["name"]: e.get("value") for e in c.get("env", [])}
                check(any(k.startswith("SPARK_JAVA_OPT_") and v == "-XX:+UseG1GC" for k, v in envs.items()),
                      "%s: javaOptions as SPARK_JAVA_OPT_n" % path)
            elif role == "taskmanager":
                check({"key": "dedicated", "operator": "Equal", "value": "flink", "effect": "NoSchedule"}
                      in tuned["spec"]["tolerations"], "%s: flink toleration" % path)
                c = main_container(tuned, "flink-main-container")
                check("taskmanager.numberOfTaskSlots" in json.dumps(c), "%s: flinkConf in start command" % path)
            elif role == "jobmanager":
                eq(tuned["spec"].get("nodeSelector", {}).get("node-lifecycle"), "on-demand", "jobmanager nodeSelector")
            # the sidecars and init containers are untouched
            mc = main_container(pod, {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}
                                .get(role, "flink-main-container"))["name"]
            for i, c in enumerate(pod["spec"]["containers"]):
                if c["name"] != mc:
                    eq(tuned["spec"]["containers"][i], c, "%s: sidecar %s untouched" % (path, c["name"]))
            eq(tuned["spec"].get("initContainers"), pod["spec"].get("initContainers"), "init containers untouched")
        want = podtune_mutate(ctx["policies"], pod)
        if want is not None:
            eq(tuned, want, "%s: webhook result vs podtune mutate -o json" % path)
        checked += 1
    check(checked >= 8, "fixtures found: %d" % checked)


@test
def test_sample_review(ctx):
    with open(os.path.join(SAMPLES, "spark-driver-review.json")) as f:
        rv = json.load(f)
    # The sample is what `make run` prints a curl for: it names the bundled
    # `batch` profile by annotation, so it is checked against policies/.
    s = Server(os.path.join(REPO, "policies"), ctx["certs"], name="sample")
    try:
        resp = s.review(rv)
        eq(resp["response"]["uid"], rv["request"]["uid"], "sample uid")
        patch = patch_of(resp)
        check(patch, "the sample is tuned by the bundled policies")
        tuned = jsonpatch.apply_patch(rv["request"]["object"], patch)
        eq(tuned["metadata"]["annotations"].get("podtune.io/profile-applied"), "batch", "sample profile")
        eq(tuned["spec"]["containers"][0]["args"][0], "driver", "driver args")
        want = podtune_mutate(os.path.join(REPO, "policies"), rv["request"]["object"])
        if want is not None:
            eq(tuned, want, "sample: webhook result vs podtune mutate -o json")
        eq(s.stop(), 0, "exit status")
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


@test
def test_not_target_and_other_operations(ctx):
    s = ctx["server"]
    exe = load_fixture("spark-executor.yaml")
    for op in ("UPDATE", "DELETE", "CONNECT"):
        resp = s.review(review_for(exe, op=op))
        eq(resp["response"]["allowed"], True, "%s allowed" % op)
        check("patch" not in resp["response"], "%s has no patch" % op)
    # a non-pod resource
    rv = review_for(exe)
    rv["request"]["kind"] = {"group": "apps", "version": "v1", "kind": "Deployment"}
    rv["request"]["resource"] = {"group": "apps", "version": "v1", "resource": "deployments"}
    resp = s.review(rv)
    check("patch" not in resp["response"], "deployment has no patch")
    # a pod subresource
    rv = review_for(exe)
    rv["request"]["subResource"] = "status"
    resp = s.review(rv)
    check("patch" not in resp["response"], "pods/status has no patch")
    nginx = load_fixture("not-target-nginx.yaml")
    resp = s.review(review_for(nginx))
    check("patch" not in resp["response"], "nginx has no patch")


@test
def test_dry_run_and_v1beta1(ctx):
    s = ctx["server"]
    pod = load_fixture("spark-executor.yaml")
    a = s.review(review_for(pod))
    b = s.review(review_for(pod, dry_run=True))
    eq(patch_of(b), patch_of(a), "dryRun patch equals the normal one")
    c = s.review(review_for(pod, version="v1beta1"))
    eq(c["apiVersion"], "admission.k8s.io/v1beta1", "v1beta1 answered in v1beta1")
    eq(patch_of(c), patch_of(a), "v1beta1 patch")
    # charset parameter and case in the content type
    d = s.review(review_for(pod), ctype="Application/JSON; charset=utf-8")
    eq(patch_of(d), patch_of(a), "content type with parameters")


@test
def test_bad_requests(ctx):
    s = ctx["server"]
    good = json.dumps(review_for(load_fixture("spark-executor.yaml"))).encode()
    cases = [
        ("truncated JSON", good[: len(good) // 2], 400),
        ("empty body", b"", 400),
        ("not an object", b"[1,2,3]", 400),
        ("wrong types", json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                    "request": "nope"}).encode(), 400),
        ("uid not a string", json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                         "request": {"uid": 7, "operation": "CREATE"}}).encode(), 400),
        ("missing uid", json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                    "request": {"operation": "CREATE"}}).encode(), 400),
        ("unknown apiVersion", json.dumps({"apiVersion": "admission.k8s.io/v9", "kind": "AdmissionReview",
                                           "request": {"uid": "x"}}).encode(), 400),
        ("invalid UTF-8", b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"\xff"}}', 400),
        ("NUL byte", b'{"apiVersion":"admission.k8s.io/v1",\x00}', 400),
    ]
    before = s.metric("podtune_http_errors_total", code="400")
    for name, body, want in cases:
        st, hdr, data = s.request("POST", "/mutate", body, {"Content-Type": "application/json"})
        eq(st, want, name)
        check(hdr.get("content-type", "").startswith("application/json"), "%s: JSON error body" % name)
        err = json.loads(data)
        check(isinstance(err.get("error"), str) and err["error"], "%s: error text" % name)
        s.healthy()
    eq(s.metric("podtune_http_errors_total", code="400") - before, float(len(cases)), "400s counted")
    st, hdr, data = s.request("POST", "/mutate", good, {"Content-Type": "text/plain"})
    eq(st, 415, "text/plain")
    st, hdr, data = s.request("POST", "/mutate", good, {"Content-Type": "application/jsonx"})
    eq(st, 415, "application/jsonx")
    st, hdr, data = s.request("POST", "/mutate", good)
    eq(st, 415, "no content type")
    s.healthy()


def raw_tls(s):
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    return s.ctx.wrap_socket(raw, server_hostname="localhost")


def read_response_head(t, timeout):
    t.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = t.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


@test
def test_body_too_large(ctx):
    s = ctx["server"]
    before = s.metric("podtune_http_errors_total", code="413")
    # Content-Length says 4 MiB: the answer comes before the body is sent.
    t = raw_tls(s)
    t.sendall(b"POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: 4194304\r\n\r\n" + b"{" * 65536)
    head = read_response_head(t, 5)
    t.close()
    check(head.startswith(b"HTTP/1.1 413"), "4 MiB Content-Length answered 413 at once: %r" % head[:80])
    # http.client sending the whole 4 MiB: 413, or the server stopped reading (reset)
    try:
        st, _, _ = s.request("POST", "/mutate", b" " * (4 << 20), {"Content-Type": "application/json"})
        eq(st, 413, "4 MiB body")
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        pass
    # exactly at the cap is not refused for its size
    st, _, _ = s.request("POST", "/mutate", b" " * (3 << 20), {"Content-Type": "application/json"})
    eq(st, 400, "3 MiB of blanks is read (and is not a review)")
    # chunked, no length: the connection is closed once the cap is passed
    t = raw_tls(s)
    t.sendall(b"POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    sent, closed = 0, False
    try:
        for _ in range(64):  # 4 MiB
            t.sendall(chunk)
            sent += 65536
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        closed = True
    if not closed:
        try:
            t.sendall(b"0\r\n\r\n")
            head = read_response_head(t, 5)
            closed = head == b"" or head.startswith(b"HTTP/1.1 413")
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, socket.timeout):
            closed = True
    t.close()
    check(closed, "chunked 4 MiB body refused")
    check(s.metric("podtune_http_errors_total", code="413") - before >= 2, "413s counted")
    s.healthy()


@test
def test_slow_body_times_out(ctx):
    s = ctx["server"]
    good = json.dumps(review_for(load_fixture("spark-executor.yaml"))).encode()
    t = raw_tls(s)
    t.sendall(b"POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(good) + good[:100])
    start = time.monotonic()
    # while it stalls, others are served
    s.healthy()
    t.settimeout(10)
    try:
        data = t.recv(1024)
    except (ConnectionResetError, ssl.SSLError):
        data = b""
    took = time.monotonic() - start
    t.close()
    check(not data.startswith(b"HTTP/1.1 200"), "stalled body not answered 200")
    check(took < 8, "stalled connection closed within the idle timeout (took %.1fs)" % took)
    # trickling a byte at a time: bounded by --body-timeout
    t = raw_tls(s)
    t.sendall(b"POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(good))
    start = time.monotonic()
    closed = False
    for i in range(200):
        try:
            t.sendall(good[i:i + 1])
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            closed = True
            break
        time.sleep(0.05)
        if time.monotonic() - start > 8:
            break
    if not closed:
        t.settimeout(2)
        try:
            closed = t.recv(1024) == b""
        except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            closed = True
    t.close()
    check(closed and time.monotonic() - start < 8, "trickled body cut off by the body timeout")
    s.healthy()


@test
def test_keepalive(ctx):
    s = ctx["server"]
    c = s.conn()
    pod = load_fixture("spark-executor.yaml")
    socks = set()
    for _ in range(20):
        s.review(review_for(pod), conn=c)
        socks.add(id(c.sock))
    c.close()
    eq(len(socks), 1, "one connection reused for 20 requests")


@test
def test_metrics(ctx):
    s = ctx["server"]
    samples = parse_prometheus(s.metrics())
    names = {n for n, _, _ in samples}
    for want in ("podtune_admission_requests_total", "podtune_policy_profiles",
                 "podtune_policy_reloads_total", "podtune_policy_last_reload_success_timestamp_seconds",
                 "podtune_tls_certificate_expiry_timestamp_seconds", "podtune_build_info",
                 "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                 "podtune_admission_duration_seconds_bucket"):
        check(want in names, "metric %s exported" % want)
    before = s.metric("podtune_admission_requests_total", role="spark-executor", profile="it-spark", result="tuned")
    hist_before = s.metric("podtune_admission_duration_seconds_count")
    tol_before = s.metric("podtune_patch_operations_total", field="tolerations")
    nf_before = s.metric("podtune_http_errors_total", code="404")
    pod = load_fixture("spark-executor.yaml")
    for _ in range(5):
        s.review(review_for(pod))
    s.request("GET", "/nope")
    eq(s.metric("podtune_admission_requests_total", role="spark-executor", profile="it-spark", result="tuned")
       - before, 5.0, "admission counter moved by 5")
    eq(s.metric("podtune_admission_duration_seconds_count") - hist_before, 5.0, "histogram count moved by 5")
    check(s.metric("podtune_patch_operations_total", field="tolerations") - tol_before >= 5,
          "patch operations counted by field")
    eq(s.metric("podtune_http_errors_total", code="404") - nf_before, 1.0, "404 counted")
    eq(s.metric("podtune_policy_profiles"), 2.0, "profiles gauge")
    cert_na = s.metric("podtune_tls_certificate_expiry_timestamp_seconds")
    check(cert_na > time.time(), "certificate expiry in the future")
    fields = {l.get("field") for n, l, _ in parse_prometheus(s.metrics()) if n == "podtune_patch_operations_total"}
    check(fields <= {"resources", "env", "command", "tolerations", "affinity", "nodeSelector", "priority",
                     "schedulerName", "labels", "annotations", "metadata", "other"},
          "patch field vocabulary bounded: %r" % fields)
    check("other" not in fields, "no patch path fell through to 'other': %r" % fields)


@test
def test_admission_log_lines(ctx):
    s = ctx["server"]
    rv = review_for(load_fixture("flink-jobmanager-session.yaml"))
    s.review(rv)
    line = poll(lambda: s.find_log("admission", uid=rv["request"]["uid"]), 2, "the admission log line")
    for k in ("namespace", "pod", "role", "profile", "status", "changes", "us"):
        check(k in line, "admission log has %s" % k)
    eq(line["role"], "flink-jobmanager", "log role")
    check(line["pod"], "generateName used when there is no name")
    eq(line["status"], "tuned", "log status")


def policy_copy(name):
    d = os.path.join(TMP, name)
    shutil.copytree(POLICIES, d)
    return d


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def tier_label(s):
    resp = s.review(review_for(load_fixture("spark-executor.yaml")))
    tuned = jsonpatch.apply_patch(load_fixture("spark-executor.yaml"), patch_of(resp) or [])
    return tuned["metadata"]["labels"].get("podtune.io/tier")


@test
def test_policy_reload(ctx):
    pol = policy_copy("reload-policies")
    s = Server(pol, ctx["certs"], name="reload")
    try:
        eq(tier_label(s), "it-batch", "initial label")
        spark = os.path.join(pol, "spark.yaml")
        original = open(spark).read()
        # a valid change is served within 2 s
        write(spark, original.replace("it-batch", "it-batch-v2"))
        poll(lambda: tier_label(s) == "it-batch-v2", 2, "the edited policy to be served")
        # a broken file: logged with its position, counted, the last good set keeps serving
        errs = s.metric("podtune_policy_reloads_total", result="error")
        write(spark, original.replace("it-batch", "it-batch-v3").replace("priority: 10", "priority: [10"))
        poll(lambda: s.metric("podtune_policy_reloads_total", result="error") > errs, 3, "the failed reload")
        line = s.find_log("policy error")
        check(line and line["file"].endswith("spark.yaml") and line["line"] > 0, "policy error with position: %r" % line)
        eq(tier_label(s), "it-batch-v2", "last good set still served")
        st, _, _ = s.request("GET", "/readyz")
        eq(st, 200, "still ready with the last good set")
        # unknown key (a validation error rather than a YAML one)
        write(spark, original.replace("spec:\n", "spec:\n  colour: blue\n", 1))
        poll(lambda: s.metric("podtune_policy_reloads_total", result="error") > errs + 1, 3, "the second failed reload")
        eq(tier_label(s), "it-batch-v2", "last good set still served")
        # the fix recovers
        write(spark, original.replace("it-batch", "it-batch-v4"))
        poll(lambda: tier_label(s) == "it-batch-v4", 2, "the fixed policy")
        # a new file in a new subdirectory is picked up (recursive watch)
        os.makedirs(os.path.join(pol, "team"))
        write(os.path.join(pol, "team", "extra.yaml"), original.replace("it-spark", "it-spark-hi")
              .replace("priority: 10", "priority: 20").replace("it-batch", "it-batch-sub"))
        poll(lambda: tier_label(s) == "it-batch-sub", 2, "a profile in a new subdirectory")
        # SIGHUP reloads without any file change
        n = s.count_log("policy reload: unchanged") + s.count_log("policy loaded")
        s.proc.send_signal(signal.SIGHUP)
        poll(lambda: s.find_log("SIGHUP: reloading policies and certificate"), 2, "the SIGHUP log line")
        poll(lambda: s.count_log("policy reload: unchanged") + s.count_log("policy loaded") > n, 2,
             "a reload after SIGHUP")
        s.healthy()
        eq(s.stop(), 0, "exit status")
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


@test
def test_configmap_swap(ctx):
    d = os.path.join(TMP, "cm-policies")
    os.makedirs(d)
    first = os.path.join(d, "..2026_12_04_10_00_00.000000001")
    os.makedirs(first)
    for f in ("spark.yaml", "flink.yaml"):
        shutil.copy(os.path.join(POLICIES, f), first)
    os.symlink(os.path.basename(first), os.path.join(d, "..data"))
    for f in ("spark.yaml", "flink.yaml"):
        os.symlink(os.path.join("..data", f), os.path.join(d, f))
    s = Server(d, ctx["certs"], name="configmap")
    try:
        eq(tier_label(s), "it-batch", "initial label")
        original = open(os.path.join(POLICIES, "spark.yaml")).read()
        atomic_swap(d, {"spark.yaml": original.replace("it-batch", "it-batch-cm").encode(),
                        "flink.yaml": open(os.path.join(POLICIES, "flink.yaml"), "rb").read()},
                    "2026_12_04_10_05_00.000000002")
        poll(lambda: tier_label(s) == "it-batch-cm", 2, "the swapped ConfigMap to be served")
        # and a second swap (the new data directory is watched too)
        atomic_swap(d, {"spark.yaml": original.replace("it-batch", "it-batch-cm2").encode(),
                        "flink.yaml": open(os.path.join(POLICIES, "flink.yaml"), "rb").read()},
                    "2026_12_04_10_10_00.000000003")
        poll(lambda: tier_label(s) == "it-batch-cm2", 2, "the second swap")
        eq(s.stop(), 0, "exit status")
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


class Loop(threading.Thread):
    """Clients that open a new connection for every request until stopped."""

    def __init__(self, s, pod, keepalive=False):
        super().__init__(daemon=True)
        self.s, self.pod, self.keepalive = s, pod, keepalive
        self.stop_flag = threading.Event()
        self.ok = 0
        self.serials = []
        self.failures = []      # the request was sent and failed
        self.refused = 0        # could not connect / handshake (after a stop: expected)

    def run(self):
        body = json.dumps(review_for(self.pod)).encode()
        c = None
        for _ in range(100000):
            if self.stop_flag.is_set():
                break
            try:
                if c is None:
                    c = self.s.conn(timeout=15)
                    c.connect()
            except (OSError, ssl.SSLError):
                self.refused += 1
                c = None
                time.sleep(0.01)
                continue
            try:
                serial = c.sock.getpeercert()["serialNumber"]
                c.request("POST", "/mutate", body, {"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
                if r.status != 200 or json.loads(data)["response"]["allowed"] is not True:
                    self.failures.append("status %d" % r.status)
                else:
                    self.ok += 1
                    self.serials.append(serial)
                if not self.keepalive or r.getheader("Connection", "").lower() == "close":
                    c.close()
                    c = None
            except Exception as e:  # noqa: BLE001 - every failure is recorded
                self.failures.append(repr(e))
                c.close()
                c = None
        if c is not None:
            c.close()


@test
def test_certificate_rotation(ctx):
    first = make_certs("rot-a")
    second = make_certs("rot-b")
    third = make_certs("rot-c")
    d = os.path.join(TMP, "secret")
    secret_layout(d, first, "2026_12_04_09_00_00.000000001")
    s = Server(ctx["policies"], d, name="rotation")
    try:
        serial_a = s.find_log("tls certificate loaded")["serial"]
        exe = load_fixture("spark-executor.yaml")
        loops = [Loop(s, exe), Loop(s, exe), Loop(s, exe, keepalive=True)]
        for lp in loops:
            lp.start()
        poll(lambda: all(lp.ok > 5 for lp in loops), 10, "the client loops to get going")
        # A keep-alive connection opened before the swap
        held = s.conn()
        s.review(review_for(exe), conn=held)
        atomic_swap(d, {"tls.crt": open(os.path.join(second, "tls.crt"), "rb").read(),
                        "tls.key": open(os.path.join(second, "tls.key"), "rb").read()},
                    "2026_12_04_09_30_00.000000002")
        rotated = poll(lambda: s.find_log("tls certificate rotated"), 3, "the rotation log line")
        serial_b = rotated["serial"]
        check(serial_b != serial_a, "a new serial")

        def new_handshake_serial():
            c = s.conn()
            c.connect()
            sn = c.sock.getpeercert()["serialNumber"]
            c.close()
            return sn
        poll(lambda: new_handshake_serial() == serial_b, 2, "new handshakes to see the new serial")
        for lp in loops[:2]:
            n = len(lp.serials)
            poll(lambda: serial_b in lp.serials[n:], 5, "the client loop to see the new serial")
        # the connection opened before the swap still answers (told to close afterwards)
        st, hdr, _ = s.request("POST", "/mutate", json.dumps(review_for(exe)).encode(),
                               {"Content-Type": "application/json"}, conn=held)
        eq(st, 200, "request on a connection from before the rotation")
        eq(hdr.get("connection", "").lower(), "close", "old daemon asks the client to reconnect")
        held.close()
        # a mismatched pair is refused and the current one keeps serving
        errs = s.metric("podtune_tls_reloads_total", result="error")
        atomic_swap(d, {"tls.crt": open(os.path.join(third, "tls.crt"), "rb").read(),
                        "tls.key": open(os.path.join(second, "tls.key"), "rb").read()},
                    "2026_12_04_09_45_00.000000003")
        poll(lambda: s.metric("podtune_tls_reloads_total", result="error") > errs, 3, "the refused pair")
        line = s.find_log("tls reload failed, keeping the current certificate")
        check(line and line.get("error"), "the refusal is logged with its cause")
        time.sleep(0.3)  # let any wrongly started daemon show itself
        eq(new_handshake_serial(), serial_b, "old pair keeps serving after a bad one")
        # and a half-written pair (cert present, key empty) too
        atomic_swap(d, {"tls.crt": open(os.path.join(third, "tls.crt"), "rb").read(), "tls.key": b""},
                    "2026_12_04_09_50_00.000000004")
        poll(lambda: s.metric("podtune_tls_reloads_total", result="error") > errs + 1, 3, "the half-written pair")
        eq(new_handshake_serial(), serial_b, "old pair keeps serving after a half-written one")
        for lp in loops:
            lp.stop_flag.set()
        for lp in loops:
            lp.join(20)
        total = sum(lp.ok for lp in loops)
        fails = [f for lp in loops for f in lp.failures]
        refused = sum(lp.refused for lp in loops)
        eq(fails, [], "no request failed during rotation (%d ok)" % total)
        eq(refused, 0, "no handshake failed during rotation")
        check(total > 50, "the loops ran (%d requests)" % total)
        # the old daemon is stopped once drained
        poll(lambda: s.find_log("old tls daemon stopped"), 10, "the old daemon to be stopped")
        eq(s.stop(), 0, "exit status")
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


@test
def test_sigterm_under_load(ctx):
    s = Server(ctx["policies"], ctx["certs"], name="sigterm")
    try:
        exe = load_fixture("spark-executor.yaml")
        loops = [Loop(s, exe) for _ in range(3)] + [Loop(s, exe, keepalive=True)]
        for lp in loops:
            lp.start()
        poll(lambda: all(lp.ok > 5 for lp in loops), 10, "the client loops to get going")
        # a request caught half-sent when the signal arrives must still be answered
        body = json.dumps(review_for(exe)).encode()
        t = raw_tls(s)
        t.sendall(b"POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body[:200])
        poll(lambda: s.find_log("listening"), 1, "server up")
        time.sleep(0.2)  # the first part must have reached the server before the signal
        s.proc.send_signal(signal.SIGTERM)
        poll(lambda: s.find_log("stopped accepting, draining"), 3, "the drain log line")
        t.sendall(body[200:])
        head = read_response_head(t, 5)
        t.close()
        check(head.startswith(b"HTTP/1.1 200"), "half-sent request answered after SIGTERM: %r" % head[:60])
        check(b"connection: close" in head.lower(), "answered with Connection: close")
        try:
            rc = s.proc.wait(15)
        except subprocess.TimeoutExpired:
            raise Fail("no exit within 15 s of SIGTERM")
        for lp in loops:
            lp.stop_flag.set()
        for lp in loops:
            lp.join(20)
        eq(rc, 0, "exit status after SIGTERM")
        fails = [f for lp in loops for f in lp.failures]
        eq(fails, [], "no in-flight request failed (%d ok)" % sum(lp.ok for lp in loops))
        check(s.find_log("stopped"), "the 'stopped' log line")
        # nothing listens any more
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
            raise Fail("port still accepting after exit")
        except ConnectionRefusedError:
            pass
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
        s.logf.close()


@test
def test_not_ready_without_policies(ctx):
    d = os.path.join(TMP, "bad-policies")
    os.makedirs(d)
    write(os.path.join(d, "broken.yaml"), "apiVersion: podtune.io/v1\nkind: Profile\nmetadata: {name: x}\nspec: {priority: nope}\n")
    s = Server(d, ctx["certs"], name="notready")
    try:
        st, _, _ = s.request("GET", "/readyz")
        eq(st, 503, "readyz without a valid policy set")
        st, _, _ = s.request("GET", "/healthz")
        eq(st, 200, "healthz without a valid policy set")
        st, _, data = s.request("POST", "/mutate", json.dumps(review_for(load_fixture("spark-executor.yaml"))).encode(),
                                {"Content-Type": "application/json"})
        # fail safe: a target pod is admitted unchanged, with a warning, never refused
        eq(st, 200, "mutate without a valid policy set")
        r = json.loads(data)["response"]
        check(r["allowed"] is True and "patch" not in r, "admitted unchanged without a policy set")
        check(any("no policy set loaded" in w for w in r.get("warnings", [])), "warning says no policy set: %r" % r.get("warnings"))
        check(re.search(r'podtune_admission_requests_total\{role="spark-executor",profile="",result="error"\} 1', s.metrics()),
              "counted as result=error")
        shutil.copy(os.path.join(POLICIES, "spark.yaml"), d)
        os.unlink(os.path.join(d, "broken.yaml"))
        poll(lambda: s.request("GET", "/readyz")[0] == 200, 2, "ready once a valid set appears")
        eq(s.stop(sig=signal.SIGINT), 0, "exit status after SIGINT")
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


@test
def test_connection_limit(ctx):
    s = Server(ctx["policies"], ctx["certs"], extra=("--max-connections", "2", "--threads", "1"), name="limit")
    try:
        held = [raw_tls(s), raw_tls(s)]
        extra = None
        try:
            extra = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            extra = s.ctx.wrap_socket(extra, server_hostname="localhost")
            extra.settimeout(5)
            refused = extra.recv(1) == b""
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError, socket.timeout, OSError):
            refused = True
        check(refused, "a third connection over --max-connections 2 is closed")
        if extra is not None:
            extra.close()
        poll(lambda: s.find_log("connection dropped"), 2, "the 'connection dropped' log line")
        for t in held:
            t.close()
        poll(lambda: s.request("GET", "/healthz")[0] == 200, 5, "service once connections are free")
        eq(s.stop(), 0, "exit status")
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


@test
def test_connection_burst_over_limit(ctx):
    """A burst of connections far over --max-connections, faster than a worker takes
    them up: the excess is dropped, the server keeps serving, and SIGTERM still drains
    at once (nothing is left counted as busy) and exits 0."""
    s = Server(ctx["policies"], ctx["certs"], extra=("--max-connections", "4", "--threads", "2",
                                                      "--shutdown-grace", "5"), name="burst")
    try:
        socks = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(40)]
        poll(lambda: s.find_log("connection dropped"), 5, "the 'connection dropped' log line")
        for t in socks:
            t.close()
        poll(lambda: s.request("GET", "/healthz")[0] == 200, 10, "service after the burst")
        eq(s.stop(), 0, "exit status")
        d = s.find_log("connections drained")
        check(d is not None, "the 'connections drained' log line")
        eq(d.get("still_busy"), 0, "connections still counted busy at the stop")
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


@test
def test_tls_versions(ctx):
    s = ctx["server"]
    for ver, want_ok in ((ssl.TLSVersion.TLSv1_2, True), (ssl.TLSVersion.TLSv1_3, True)):
        c = client_context()
        c.minimum_version = c.maximum_version = ver
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
            with c.wrap_socket(raw, server_hostname="localhost") as t:
                eq(t.version(), {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[ver],
                   "negotiated version")
                if ver == ssl.TLSVersion.TLSv1_2:
                    check("GCM" in t.cipher()[0] or "CHACHA20" in t.cipher()[0], "AEAD cipher: %r" % (t.cipher(),))
    c = client_context()
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            c.minimum_version = ssl.TLSVersion.TLSv1
            c.maximum_version = ssl.TLSVersion.TLSv1_1
        c.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return  # this OpenSSL cannot even offer TLS 1.1
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
            with c.wrap_socket(raw, server_hostname="localhost"):
                raise Fail("TLS 1.1 handshake accepted")
    except (ssl.SSLError, ConnectionResetError):
        pass
    s.healthy()


def main():
    global ARGS, TMP
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--podtune", required=True)
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    ap.add_argument("-v", action="store_true", help="print server logs of failed tests")
    ARGS = ap.parse_args()
    ARGS.podtune = os.path.abspath(ARGS.podtune)
    TMP = tempfile.mkdtemp(prefix="podtune-it-")
    # A private copy: a rebuild of the binary while the suite runs (make
    # relinks in place) must not pull it from under the servers.
    private = os.path.join(TMP, "podtune")
    shutil.copy2(ARGS.podtune, private)
    ARGS.podtune = private
    passed = failed = 0
    server = None
    try:
        certs = make_certs("certs")
        ctx = {"certs": certs, "policies": POLICIES}
        server = Server(POLICIES, certs, name="main")
        ctx["server"] = server
        for fn in TESTS:
            if ARGS.k and ARGS.k not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn(ctx)
                passed += 1
                print("ok   %-40s %.2fs" % (fn.__name__, time.monotonic() - t0), flush=True)
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("FAIL %-40s %s" % (fn.__name__, e), flush=True)
                if not isinstance(e, Fail) or ARGS.v:
                    traceback.print_exc()
        if server.proc.poll() is not None:
            failed += 1
            print("FAIL main server died: %s" % server.log_text()[-2000:])
        else:
            rc = server.stop()
            if rc != 0:
                failed += 1
                print("FAIL main server exit status %s" % rc)
    except Fail as e:
        failed += 1
        print("FAIL setup: %s" % e)
    finally:
        if server and server.proc.poll() is None:
            server.proc.kill()
        if "skipped" in MUTATE_STATE:
            print("note: comparison with `podtune mutate -o json` skipped: %s" % MUTATE_STATE["skipped"])
        if failed and ARGS.v:
            print("logs kept in %s" % TMP)
        else:
            shutil.rmtree(TMP, ignore_errors=True)
    print("integration: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
