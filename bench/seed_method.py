#!/usr/bin/env python3
"""bench/seed_method.py — the seed notebook's way of filtering alerts, as a baseline:
per line ast.literal_eval, a Python predicate, json.dumps of each match.

  seed_method.py FILE                 the seed's filter: alert['diaSource']['ra'] > 350
  seed_method.py --rules RULES FILE   every rule of RULES (bench/rules.py --python):
                                      parse once, all predicates, 'TOPIC<TAB>JSON' per match,
                                      the same lines `alertfilter eval` writes
"""
import ast
import json
import math
import sys


def angsep(ra1, dec1, ra2, dec2):
    """Angular separation in degrees (haversine), as the rule language's angsep."""
    r = math.radians
    h = math.sin(r(dec2 - dec1) / 2) ** 2 + math.cos(r(dec1)) * math.cos(r(dec2)) * math.sin(r(ra2 - ra1) / 2) ** 2
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(h))))


def cone(ra, dec, ra0, dec0, radius):
    return angsep(ra, dec, ra0, dec0) <= radius


def load_rules(path):
    with open(path) as f:
        rules = json.load(f)
    env = {"angsep": angsep, "cone": cone}
    return [(r["topic"], eval("lambda alert: " + r["python"], env)) for r in rules]


def main(argv):
    rules = None
    if len(argv) == 4 and argv[1] == "--rules":
        rules = load_rules(argv[2])
        path = argv[3]
    elif len(argv) == 2:
        path = argv[1]
    else:
        sys.exit(__doc__)
    out = sys.stdout
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with open(path) as f:
        for line in f:
            alert = ast.literal_eval(line)
            if rules is None:
                if alert["diaSource"]["ra"] > 350:
                    out.write(dumps(alert) + "\n")
                continue
            for topic, match in rules:
                if match(alert):
                    out.write(topic + "\t" + dumps(alert) + "\n")


if __name__ == "__main__":
    main(sys.argv)
