#!/usr/bin/env python3
"""tests/tools/brokers_diff.py — the brokers' differential test: the twenty
filters of brokers.py run by `alertfilter eval` on ZTF-shaped alerts (ztfgen.py)
in Python-literal form and in JSON, and by their Python functions on the same
lines (literal_eval, json.loads); the selections must be the same alert for
alert, and each filter must select some alerts but not all.

  brokers_diff.py --bin BIN [--seed S] [--alerts N] [--inline]
Prints one line per filter (selected count) and a summary; exit status 1 on
any difference. --inline writes each $name as its definition's text instead.
"""
import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brokers  # noqa: E402
import ztfgen  # noqa: E402


def run_eval(binary, cfg, path):
    """{rule: set of candid} from alertfilter eval's TOPIC<TAB>JSON lines (topic = rule name)."""
    out = subprocess.run([binary, "eval", "-c", cfg, path], check=True, capture_output=True, text=True).stdout
    got = {}
    for line in out.splitlines():
        topic, text = line.split("\t", 1)
        got.setdefault(topic, set()).add(json.loads(text)["candid"])
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--alerts", type=int, default=2000)
    ap.add_argument("--inline", action="store_true")
    args = ap.parse_args()
    alerts = ztfgen.alerts(args.seed, args.alerts)
    fs = brokers.filters()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "brokers.cfg")
        with open(cfg, "w") as f:
            f.write(brokers.config(use_definitions=not args.inline))
        for fmt, dump, load in (("python", str, ast.literal_eval), ("json", ztfgen.to_json, json.loads)):
            path = os.path.join(tmp, "alerts." + fmt)
            with open(path, "w") as f:
                f.write("".join(dump(a) + "\n" for a in alerts))
            with open(path) as f:
                read = [load(line) for line in f]
            got = run_eval(args.bin, cfg, path)
            for name, _, fn in fs:
                want = {a["candid"] for a in read if fn(a)}
                have = got.get(name, set())
                bad = want ^ have
                print("%-6s %-20s python %5d  alertfilter %5d  differ %d" % (fmt, name, len(want), len(have), len(bad)))
                if bad:
                    failures += 1
                    for cid in sorted(bad)[:3]:
                        a = next(x for x in read if x["candid"] == cid)
                        print("    candid %d: python %s, alertfilter %s\n    %.800s" % (cid, cid in want, cid in have, dump(a)))
                if not 0 < len(want) < len(read):
                    failures += 1
                    print("    %s selects %d of %d alerts: the generator must give it some, not all"
                          % (name, len(want), len(read)))
    print("brokers differential: %d filters x %d alerts x 2 formats, %d failures" % (len(fs), len(alerts), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
