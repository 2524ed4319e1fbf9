#!/usr/bin/python3
"""Holds podtune's JSON Patch (build/tools/ptpatch) against python3-jsonpatch.

1. diff: for random (from, to) pairs, `ptpatch diff` must produce a patch that
   python-jsonpatch applies to `from` giving exactly `to`.
2. apply: random valid patches must give identical results with `ptpatch
   apply` and python-jsonpatch; random invalid patches must be refused by both.
"""
import argparse
import copy
import json
import os
import random
import subprocess
import sys
import tempfile

import jsonpatch

# No key is exactly "-": python-jsonpatch refuses "/-" even on objects, where
# RFC 6902 gives it no special meaning (the C unit tests cover that case).
PIECES = ["a", "b", "/", "~", "~0", "~1", "a-", "0", "01", "x/y", "é", "", " ", "podtune.io/"]


def rstr(r):
    return "".join(r.choice(PIECES) for _ in range(r.randrange(4)))


def rval(r, depth=0):
    k = r.randrange(6 if depth > 3 else 8)
    if k == 0:
        return None
    if k == 1:
        return r.choice([True, False])
    if k == 2:
        return r.randrange(-3, 4)
    if k == 3:
        return r.choice([0.5, 1.5, -2.25, 1e300])
    if k in (4, 5):
        return rstr(r)
    if k == 6:
        return [rval(r, depth + 1) for _ in range(r.randrange(5))]
    return {rstr(r): rval(r, depth + 1) for _ in range(r.randrange(5))}


def rdoc(r):
    return {rstr(r): rval(r, 1) for _ in range(r.randrange(1, 7))}


def mutate(r, v, depth=0):
    if r.randrange(6) == 0:
        return rval(r, depth)
    if isinstance(v, list):
        out = []
        for x in v:
            if r.randrange(5) == 0:
                out.append(rval(r, depth + 1))
            if r.randrange(6):
                out.append(mutate(r, x, depth + 1))
        if r.randrange(3) == 0:
            out.append(rval(r, depth + 1))
        return out
    if isinstance(v, dict):
        out = {k: mutate(r, x, depth + 1) for k, x in v.items() if r.randrange(6)}
        if r.randrange(3) == 0:
            out[rstr(r)] = rval(r, depth + 1)
        return out
    return copy.deepcopy(v)


def same(a, b):
    """Strict equality: 1, 1.0 and True are three different values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def esc(token):
    return token.replace("~", "~0").replace("/", "~1")


def paths(v, prefix=""):
    """Every pointer in v, the root included."""
    out = [prefix]
    if isinstance(v, dict):
        for k, x in v.items():
            out += paths(x, prefix + "/" + esc(k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += paths(x, prefix + "/" + str(i))
    return out


def containers(v, prefix=""):
    return [p for p in paths(v, prefix) if isinstance(jsonpatch.JsonPointer(p).resolve(v), (dict, list))]


def add_target(r, doc):
    parent = r.choice(containers(doc))
    c = jsonpatch.JsonPointer(parent).resolve(doc)
    if isinstance(c, dict):
        key = r.choice(list(c.keys())) if c and r.randrange(2) else rstr(r)
        return parent + "/" + esc(key)
    return parent + "/" + r.choice([str(r.randrange(len(c) + 1)), "-"])


def valid_patch(r, doc):
    """A random patch valid against doc, built by applying each op as it goes."""
    ops = []
    cur = copy.deepcopy(doc)
    for _ in range(r.randrange(1, 6)):
        kind = r.choice(["add", "add", "remove", "replace", "move", "copy", "test"])
        nonroot = [p for p in paths(cur) if p]
        if kind == "add":
            op = {"op": "add", "path": add_target(r, cur), "value": rval(r, 2)}
        elif kind in ("remove", "replace", "test") and nonroot:
            p = r.choice(nonroot)
            op = {"op": kind, "path": p}
            if kind == "replace":
                op["value"] = rval(r, 2)
            if kind == "test":
                op["value"] = copy.deepcopy(jsonpatch.JsonPointer(p).resolve(cur))
        elif kind in ("move", "copy") and nonroot:
            src = r.choice(nonroot)
            dst = add_target(r, cur)
            if kind == "move" and (dst == src or dst.startswith(src + "/")):
                continue
            op = {"op": kind, "from": src, "path": dst}
        else:
            continue
        try:
            # python-jsonpatch links inserted values to the op; copy to keep ops intact.
            cur = jsonpatch.apply_patch(cur, copy.deepcopy([op]))
        except Exception:
            continue  # e.g. a move whose target index shifted away; skip it
        ops.append(op)
    return ops


def invalid_patch(r, doc):
    """A patch that every RFC 6902 implementation must refuse."""
    good = valid_patch(r, doc)
    doc = jsonpatch.apply_patch(doc, copy.deepcopy(good))  # the bad op meets this state
    arrays = [p for p in containers(doc) if isinstance(jsonpatch.JsonPointer(p).resolve(doc), list)]
    choices = [
        [{"op": "remove", "path": "/definitely-missing"}],
        [{"op": "add", "path": "/definitely-missing/x", "value": 1}],
        [{"op": "replace", "path": "/definitely-missing", "value": 1}],
        [{"op": "test", "path": "", "value": "definitely not the document"}],
        [{"op": "frobnicate", "path": "/a"}],
        [{"op": "add", "path": "/a"}],
        [{"path": "/a", "value": 1}],
        [{"op": "move", "from": "/definitely-missing", "path": "/b"}],
        [{"op": "copy", "from": "/definitely-missing", "path": "/b"}],
    ]
    if arrays:
        a = r.choice(arrays)
        n = len(jsonpatch.JsonPointer(a).resolve(doc))
        choices += [
            [{"op": "add", "path": a + "/" + str(n + 1 + r.randrange(3)), "value": 1}],
            [{"op": "remove", "path": a + "/" + str(n)}],
            [{"op": "replace", "path": a + "/" + str(n), "value": 1}],
        ]
        # Leading zeros ("/01") are left out: python-jsonpointer's index pattern is
        # unanchored at the end and accepts them; the C unit tests cover them.
    # python-jsonpatch only refuses "move into its own child" when the source
    # sits in an object (it lets an array element be moved into itself).
    objs = [
        p
        for p in containers(doc)
        if p
        and isinstance(jsonpatch.JsonPointer(p).resolve(doc), dict)
        and isinstance(jsonpatch.JsonPointer(p.rsplit("/", 1)[0]).resolve(doc), dict)
    ]
    if objs:
        o = r.choice(objs)
        choices.append([{"op": "move", "from": o, "path": o + "/child"}])
    bad = r.choice(choices)
    # Put the bad operation after some good ones: the whole patch must fail.
    return good + bad


class Runner:
    def __init__(self, exe, tmp):
        self.exe = exe
        self.tmp = tmp

    def _file(self, name, v):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(v, f, ensure_ascii=False)
        return path

    def run(self, mode, a, b):
        pa, pb = self._file("a.json", a), self._file("b.json", b)
        p = subprocess.run([self.exe, mode, pa, pb], capture_output=True, timeout=30)
        return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ptpatch", default="build/tools/ptpatch")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=6902)
    args = ap.parse_args()
    r = random.Random(args.seed)
    passed = failed = 0

    def bad(msg):
        nonlocal failed
        failed += 1
        if failed <= 10:
            print("FAIL: " + msg, file=sys.stderr)

    if not os.access(args.ptpatch, os.X_OK):
        print(f"jsonpatch-crosscheck: {args.ptpatch} is not an executable (run make)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        run = Runner(args.ptpatch, tmp).run
        for i in range(args.count):
            # 1. diff checked by the independent applier
            frm = rdoc(r) if i % 10 else rval(r)
            to = rdoc(r) if i % 5 == 0 else mutate(r, frm)
            rc, out, err = run("diff", frm, to)
            if rc != 0:
                bad(f"diff exited {rc}: {err.strip()}")
            else:
                patch = json.loads(out)
                try:
                    got = jsonpatch.apply_patch(frm, copy.deepcopy(patch))
                except Exception as e:  # noqa: BLE001 - any refusal is a failure here
                    got = e
                if isinstance(got, Exception) or not same(got, to):
                    bad(f"diff {json.dumps(frm)} -> {json.dumps(to)}: patch {out.strip()} gives {got!r}")
                else:
                    passed += 1

            # 2. valid patches: identical results
            doc = rdoc(r)
            patch = valid_patch(r, doc)
            want = jsonpatch.apply_patch(doc, copy.deepcopy(patch))
            rc, out, err = run("apply", doc, patch)
            if rc != 0:
                bad(f"apply {json.dumps(doc)} {json.dumps(patch)} refused: {err.strip()}")
            elif not same(json.loads(out), want):
                bad(f"apply {json.dumps(doc)} {json.dumps(patch)}: {out.strip()} != {json.dumps(want)}")
            else:
                passed += 1

            # 3. invalid patches: both refuse
            patch = invalid_patch(r, doc)
            try:
                jsonpatch.apply_patch(doc, copy.deepcopy(patch))
                theirs = "accepted"
            except Exception:  # noqa: BLE001 - python-jsonpatch raises several types
                theirs = "refused"
            rc, out, err = run("apply", doc, patch)
            ours = "refused" if rc == 1 else ("accepted" if rc == 0 else f"crashed ({rc})")
            if ours != "refused" or theirs != "refused":
                bad(f"invalid patch {json.dumps(patch)} on {json.dumps(doc)}: ptpatch {ours}, jsonpatch {theirs}")
            elif not err.startswith("ptpatch: operation "):
                bad(f"error does not name the operation: {err.strip()}")
            else:
                passed += 1

    print(f"jsonpatch-crosscheck: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
