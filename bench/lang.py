#!/usr/bin/env python3
"""bench/lang.py — the inputs of `make bench`'s rule-language figures (issue 15).

  lang.py corpus N FILE      N ZTF-shaped alerts (tests/tools/ztfgen.py, seed 1), Python str(dict)
  lang.py one FILE           one simple rule: candidate.ra > 350
  lang.py hundred FILE       100 rules of five shapes over aggregates of the history and
                             shared definitions ($quality, $span, $ndet, $positive, $abs_b)
  lang.py brokers FILE       the twenty brokers' filters of tests/tools/brokers.py
  lang.py python FILE        the same twenty in Python, as bench does them: per line
                             ast.literal_eval, every function, 'TOPIC<TAB>JSON' per match
"""
import ast
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "tools"))
import brokers  # noqa: E402
import ztfgen  # noqa: E402

DEFINITIONS = {
    "quality": "candidate.rb >= 0.65 and candidate.nbad == 0",
    "span": "max(prv_candidates, @.jd) - min(prv_candidates, @.jd)",
    "ndet": "count(prv_candidates, @.magpsf != null) + 1",
    "positive": "candidate.isdiffpos in ('t', '1')",
    "abs_b": "abs(galactic_b(candidate.ra, candidate.dec))",
}


def hundred():
    rules = []
    for k in range(20):
        rules += [
            "$quality and $span > %.2f" % (29 + k / 10),
            "$positive and max(prv_candidates, @.magpsf) - candidate.magpsf > %.2f" % (5.5 + k / 10),
            "mean(prv_candidates, @.magpsf) < %.2f and $ndet >= 3" % (15.5 + k / 20),
            "sum(prv_candidates, @.magpsf != null) >= %d and $abs_b > 10" % (18 + k),
            "min(prv_candidates, @.jd) > candidate.jd - %.3f and $quality" % (0.01 + k / 500),
        ]
    lines = ["definitions = {"] + ['  %s = "%s";' % kv for kv in DEFINITIONS.items()] + ["};", "rules = ("]
    lines += ['  { name = "r%d"; topic = "r%d"; where = "%s"; }%s' % (i, i, w, "," if i + 1 < len(rules) else "")
              for i, w in enumerate(rules)]
    return "\n".join(lines + [");"]) + "\n"


def python(path):
    fs = [(name, fn) for name, _, fn in brokers.filters()]
    out = sys.stdout
    with open(path) as f:
        for line in f:
            a = ast.literal_eval(line)
            text = None
            for name, fn in fs:
                if fn(a):
                    text = text or ztfgen.to_json(a)
                    out.write(name + "\t" + text + "\n")


def main(argv):
    what, path = argv[1], argv[-1]
    if what == "python":
        return python(path)
    with open(path, "w") as f:
        if what == "corpus":
            f.write("".join(str(a) + "\n" for a in ztfgen.alerts(1, int(argv[2]))))
        elif what == "one":
            f.write('rules = ( { name = "one"; topic = "one"; where = "candidate.ra > 350"; } );\n')
        elif what == "hundred":
            f.write(hundred())
        elif what == "brokers":
            f.write(brokers.config())


if __name__ == "__main__":
    main(sys.argv)
