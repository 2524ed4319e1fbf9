#!/usr/bin/python3
"""Properties that must hold for every pod under every bundled profile.

For each pod in test/cases/*/pod.yaml and test/fixtures/pods/*.yaml, and for
each profile in the policy directory (selected with the podtune.io/profile
annotation) plus automatic selection:

  * the patch from `podtune mutate -o patch`, applied by python3-jsonpatch (an
    implementation we did not write), gives byte for byte the pod that
    `podtune mutate -o json` prints;
  * the base64 patch in the `-o review` AdmissionReview response is the same patch;
  * planning the tuned pod again gives an empty patch (idempotent);
  * every limit is at or above its request, extended resources keep
    request == limit, and no JVM container's memory went below the pod's
    original request unless it is a Spark executor whose SPARK_EXECUTOR_MEMORY
    was rewritten to keep the original overhead.
"""
import argparse
import base64
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonpatch
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SUFFIX = {"n": 10**-9, "u": 10**-6, "m": 10**-3, "": 1, "k": 10**3, "M": 10**6, "G": 10**9,
          "T": 10**12, "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
          "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def quantity(v):
    """Kubernetes quantity → float (good enough for comparisons here)."""
    if isinstance(v, (int, float)):
        return float(v)
    m = re.fullmatch(r"([+-]?[0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)", str(v))
    if not m:
        raise ValueError("bad quantity %r" % v)
    num, suf = m.groups()
    if suf[:1] in ("e", "E"):
        return float(num + suf)
    return float(num) * SUFFIX[suf]


def jvm_bytes(s):
    m = re.fullmatch(r"([0-9]+)([kmgtKMGT]?)", s)
    mult = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(m.group(1)) * mult


def run(podtune, args, stdin):
    p = subprocess.run([podtune] + args, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError("podtune %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def main_container(pod):
    labels = pod["metadata"].get("labels", {})
    names = {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}
    want = names.get(labels.get("spark-role"), "flink-main-container")
    for c in pod["spec"]["containers"]:
        if c.get("name") == want:
            return c
    return pod["spec"]["containers"][0]


def env_value(c, name):
    for e in c.get("env", []) or []:
        if e.get("name") == name:
            return e.get("value")
    return None


def check_resources(orig, tuned):
    for c in tuned["spec"].get("containers", []) + tuned["spec"].get("initContainers", []):
        res = c.get("resources", {}) or {}
        req, lim = res.get("requests", {}) or {}, res.get("limits", {}) or {}
        for name, lv in lim.items():
            if name in req:
                assert quantity(lv) >= quantity(req[name]), \
                    "%s: limit %s %s below request %s" % (c["name"], name, lv, req[name])
                if "/" in name and not name.startswith("kubernetes.io/"):
                    assert quantity(lv) == quantity(req[name]), \
                        "%s: extended resource %s request != limit" % (c["name"], name)
    labels = orig["metadata"].get("labels", {})
    is_target = labels.get("spark-role") in ("driver", "executor") or \
        labels.get("type") == "flink-native-kubernetes"
    if not is_target:
        assert orig == tuned, "a non-target pod was changed"
        return
    oc, tc = main_container(orig), main_container(tuned)
    omem = ((oc.get("resources") or {}).get("requests") or {}).get("memory")
    tmem = ((tc.get("resources") or {}).get("requests") or {}).get("memory")
    if omem is None or tmem is None:
        return
    if quantity(tmem) < quantity(omem):
        oheap, theap = env_value(oc, "SPARK_EXECUTOR_MEMORY"), env_value(tc, "SPARK_EXECUTOR_MEMORY")
        assert labels.get("spark-role") == "executor" and oheap and theap and oheap != theap, \
            "JVM memory lowered from %s to %s without a heap rewrite" % (omem, tmem)
        overhead = quantity(omem) - jvm_bytes(oheap)
        assert abs(quantity(tmem) - jvm_bytes(theap) - overhead) < 2**20, \
            "executor overhead not kept: %s - %s vs %s" % (tmem, theap, overhead)


def check_one(podtune, policies, pod, label):
    pod_json = json.dumps(pod)
    patch = json.loads(run(podtune, ["mutate", "--policies", policies, "-o", "patch", "-"], pod_json))
    tuned = json.loads(run(podtune, ["mutate", "--policies", policies, "-o", "json", "-"], pod_json))
    review = json.loads(run(podtune, ["mutate", "--policies", policies, "-o", "review", "-"], pod_json))
    resp = review["response"]
    assert resp["allowed"] is True, "%s: not allowed" % label
    if patch:
        assert resp.get("patchType") == "JSONPatch"
        assert json.loads(base64.b64decode(resp["patch"])) == patch, "%s: review patch differs" % label
    else:
        assert "patch" not in resp, "%s: review carries a patch for an unchanged pod" % label
    for w in resp.get("warnings", []):
        assert len(w.encode()) < 120, "%s: warning too long: %r" % (label, w)
    applied = jsonpatch.apply_patch(copy.deepcopy(pod), patch)
    a = json.dumps(applied, sort_keys=True, separators=(",", ":"))
    b = json.dumps(tuned, sort_keys=True, separators=(",", ":"))
    assert a == b, "%s: python3-jsonpatch result differs from podtune's tuned pod" % label
    again = json.loads(run(podtune, ["mutate", "--policies", policies, "-o", "patch", "-"],
                           json.dumps(tuned)))
    assert again == [], "%s: not idempotent, second patch: %s" % (label, json.dumps(again)[:300])
    check_resources(pod, tuned)
    return len(patch)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--podtune", required=True)
    ap.add_argument("--policies", default=os.path.join(ROOT, "policies"))
    args = ap.parse_args()

    profiles = []
    for f in sorted(glob.glob(os.path.join(args.policies, "**", "*.y*ml"), recursive=True)):
        for doc in yaml.safe_load_all(open(f)):
            if doc:
                profiles.append(doc["metadata"]["name"])
    pods = []
    for f in sorted(glob.glob(os.path.join(ROOT, "test", "cases", "**", "pod.yaml"), recursive=True)
                    + glob.glob(os.path.join(ROOT, "test", "fixtures", "pods", "*.yaml"))):
        for doc in yaml.safe_load_all(open(f)):
            if doc and doc.get("kind", "Pod") == "Pod":
                pods.append((os.path.relpath(f, ROOT), doc))
    if not pods:
        print("properties: no pods found")
        print("properties: 0 passed, 1 failed")
        return 1

    passed = failed = ops = 0
    for src, pod in pods:
        variants = [("auto", pod)]
        for name in profiles:
            p = copy.deepcopy(pod)
            p["metadata"].setdefault("annotations", {})
            p["metadata"]["annotations"] = dict(p["metadata"]["annotations"] or {})
            p["metadata"]["annotations"]["podtune.io/profile"] = name
            variants.append((name, p))
        for vname, p in variants:
            label = "%s [%s]" % (src, vname)
            try:
                ops += check_one(args.podtune, args.policies, p, label)
                passed += 1
            except Exception as e:  # noqa: BLE001 - report every failure with its case
                failed += 1
                print("FAIL %s: %s" % (label, e))
    print("properties: %d pods x %d selections, %d patch operations checked"
          % (len(pods), len(profiles) + 1, ops))
    print("properties: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
