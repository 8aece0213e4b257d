#!/usr/bin/env python3
"""tests/tools/rulegen.py — random alerts and random rules for the rule
language's differential test, with each rule's expected selection computed by
an independent Python predicate.

Output (stdout), one record per line:
    A<TAB>alert text            (str() of a dict, or JSON)
    R<TAB>rule<TAB>bits         (bits[j] = '1' when the rule selects alert j)
    P<TAB>python predicate      (after each R: the predicate that gave the bits)
Deterministic for a given --seed.
"""
import argparse
import json
import math
import random

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
FILTERS = ["u", "g", "r", "i", "z", "y"]
WORDS = ["r", "g", "", "a'b", 'q"q', "tab\there", "line\nnext", "caf\u00e9", "\U0001F600x", "back\\slash", "rr"]

# ---------------------------------------------------------------- alerts


def source(rng, ident):
    s = {
        "diaSourceId": ident,
        "ccdVisitId": rng.randrange(100000, 200000),
        "midPointTai": rng.randrange(1480360000, 1480370000),
        "filterName": rng.choice(FILTERS),
        "ra": round(rng.uniform(0, 360), rng.choice([3, 9, 12])),
        "decl": round(rng.uniform(-90, 90), rng.choice([3, 9, 12])),
        "ra_decl_Cov": {"raSigma": 0.00028, "declSigma": 0.00028, "ra_decl_Cov": 0.00029},
        "x": round(rng.uniform(0, 4000), 1),
        "y": round(rng.uniform(0, 4000), 1),
        "snr": rng.choice([round(rng.uniform(0, 100), 2), rng.randrange(0, 60), None]),
        "psFlux": rng.choice([rng.uniform(0, 1e-4), 1241.0, 3.631e-05, 0.0, -rng.uniform(0, 1e-4)]),
        "flags": rng.choice([0, 0, 1, 2, 3]),
    }
    if rng.random() < 0.1:
        del s["snr"]
    if rng.random() < 0.1:
        s["filterName"] = rng.choice(WORDS)
    return s


def alert(rng):
    base = 281323062375219199 + rng.randrange(-3, 4)
    a = {
        "alertId": rng.randrange(1, 2**31),
        "l1dbId": 222222222,
        "diaSource": source(rng, base),
        "prv_diaSources": [source(rng, base - k - 1) for k in range(rng.choice([0, 1, 2, 3, 4]))],
        "diaObject": {
            "diaObjectId": base + 2,
            "ra": round(rng.uniform(0, 360), 9),
            "decl": round(rng.uniform(-90, 90), 9),
            "pmRa": 0.00013,
            "parallax": rng.choice([2.124124, 0, -1.5]),
            "pmParallaxNdata": rng.randrange(0, 2000),
            "flags": 0,
        },
        "ssObject": rng.choice([None, {"ssObjectId": rng.randrange(1, 10**7), "arc": 2.124124}]),
        "comment": rng.choice(WORDS),
        "tags": rng.choice([[], ["a"], ("x", "y"), ["r", 1, 2.5, None]]),
        "big": rng.choice([INT64_MAX, INT64_MIN, 2**70, -(2**64), 5]),
    }
    if rng.random() < 0.1:
        del a["diaObject"]
    return a


def render_alert(rng, a):
    return json.dumps(a, ensure_ascii=rng.random() < 0.5) if rng.random() < 0.3 else str(a)


# ------------------------------------------------- the semantics, in Python


def P(a, *steps):
    for s in steps:
        if isinstance(s, str):
            a = a.get(s) if isinstance(a, dict) else None
        else:
            a = a[s] if isinstance(a, (list, tuple)) and s < len(a) else None
        if a is None:
            return None
    return a


def isnone(v):
    return v is None


def num(v):
    return isinstance(v, (int, float))


def to64(v):
    """An int result beyond 64 bits becomes a float, as in the VM."""
    return v if INT64_MIN <= v <= INT64_MAX else float(v)


def truthy(v):
    if v is None:
        return False
    if num(v):
        return v != 0
    return len(v) > 0


def cmp(op, a, b):
    if a is None or b is None:
        return False
    if num(a) and num(b) or isinstance(a, str) and isinstance(b, str):
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return op == "!="


def arith(op, a, b):
    if not (num(a) and num(b)):
        return None
    if isinstance(a, int) and isinstance(b, int):
        a, b = int(a), int(b)
        if op == "+":
            return to64(a + b) if INT64_MIN <= a + b <= INT64_MAX else float(a) + float(b)
        if op == "-":
            return a - b if INT64_MIN <= a - b <= INT64_MAX else float(a) - float(b)
        if op == "*":
            return a * b if INT64_MIN <= a * b <= INT64_MAX else float(a) * float(b)
        if b == 0:
            return None
        return float(a) / float(b) if op == "/" else a % b
    a, b = float(a), float(b)
    if op in "/%" and b == 0:
        return None
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None, "%": a % b if b else None}[op]


def neg(a):
    if isinstance(a, int):
        return to64(-int(a))
    return -a if isinstance(a, float) else None


def in_(x, items, negate):
    if x is None:
        return False
    found = any(cmp("==", x, it) for it in items)
    return found != negate


def b_len(v):
    return len(v) if isinstance(v, (str, bytes, list, tuple, dict)) else None


def b_abs(v):
    if isinstance(v, int):
        return to64(abs(int(v)))
    return abs(v) if isinstance(v, float) else None


def b_sqrt(v):
    return math.sqrt(float(v)) if num(v) and float(v) >= 0 else None


def b_log10(v):
    return math.log10(float(v)) if num(v) and float(v) > 0 else None


def b_min(a, b):
    return (b if b < a else a) if num(a) and num(b) else None


def b_max(a, b):
    return (b if b > a else a) if num(a) and num(b) else None


def b_startswith(s, p):
    return isinstance(s, str) and isinstance(p, str) and s.startswith(p)


def c_math(f):
    """math.f as C's libm behaves: NaN where Python raises (sin(inf), sqrt(-1))."""
    def g(x):
        try:
            return f(x)
        except ValueError:
            return math.nan
    return g


sin, cos, sqrt = c_math(math.sin), c_math(math.cos), c_math(math.sqrt)


def angsep(ra1, dec1, ra2, dec2):
    rad = math.pi / 180
    s_ddec, s_sum = sin((dec2 - dec1) * rad / 2), sin((dec1 + dec2) * rad / 2)
    s_dra, c_dra = sin((ra2 - ra1) * rad / 2), cos((ra2 - ra1) * rad / 2)
    cc = cos(dec1 * rad) * cos(dec2 * rad)
    hav = s_ddec * s_ddec + cc * s_dra * s_dra
    hav_anti = s_sum * s_sum + cc * c_dra * c_dra
    return 2 * math.atan2(sqrt(hav), sqrt(hav_anti)) / rad


def b_angsep(*args):
    return angsep(*map(float, args)) if all(num(x) for x in args) else None


def b_cone(ra, dec, ra0, dec0, r):
    args = (ra, dec, ra0, dec0, r)
    return all(num(x) for x in args) and angsep(*map(float, args[:4])) <= float(r)


def quant(kind, arr, pred):
    if not isinstance(arr, (list, tuple)):
        return None if kind == "count" else False
    hits = [truthy(pred(e)) for e in arr]
    return {"any": any(hits), "all": all(hits), "count": sum(hits)}[kind]


# ------------------------------------------------------------------ rules
# Each generator returns (rule text, python expression text). `at` is the
# Python name of the current element inside any/all/count, or None.

NUM_PATHS = [["diaSource", "snr"], ["diaSource", "ra"], ["diaSource", "decl"], ["diaSource", "psFlux"],
             ["diaSource", "flags"], ["diaSource", "diaSourceId"], ["diaSource", "x"], ["alertId"],
             ["diaObject", "diaObjectId"], ["diaObject", "parallax"], ["diaObject", "pmParallaxNdata"],
             ["prv_diaSources", 0, "snr"], ["prv_diaSources", 1, "ra"], ["prv_diaSources", 5, "snr"],
             ["diaSource", "nope"], ["ssObject", "arc"], ["big"], ["diaSource", "filterName", "x"],
             ["tags", 1], ["tags", 2]]
STR_PATHS = [["diaSource", "filterName"], ["comment"], ["prv_diaSources", 0, "filterName"], ["tags", 0],
             ["nope"]]
ANY_PATHS = [["prv_diaSources"], ["tags"], ["ssObject"], ["diaObject"], ["comment"], ["missing"],
             ["diaSource", "snr"]]
ELEM_NUM = [["snr"], ["ra"], ["flags"], ["diaSourceId"], [], ["nope"]]
ELEM_STR = [["filterName"], []]


def path(steps, at=None):
    text, py = ("@" if at else ""), []
    for s in steps:
        if isinstance(s, int):
            text += "[%d]" % s
        else:
            text += ("." if text else "") + s
        py.append(repr(s))
    root = at if at else "A"
    return text, "P(%s%s)" % (root, "".join(", " + p for p in py))


def str_lit(rng, s):
    q = rng.choice(["'", '"'])
    out = q
    for ch in s:
        c = ord(ch)
        r = rng.random()
        if ch == q or ch == "\\":
            out += "\\" + ch
        elif ch == "\n":
            out += "\\n"
        elif ch == "\t":
            out += "\\t"
        elif r < 0.2 and c < 256:
            out += "\\x%02x" % c
        elif r < 0.3 and c < 0x10000:
            out += "\\u%04x" % c
        elif r < 0.4:
            out += "\\U%08x" % c
        else:
            out += ch
    return out + q, repr(s)


def num_lit(rng):
    v = rng.choice([0, 1, 2, 5, -3, 40, 350, 281323062375219199, 281323062375219200, 0.5, 41.1, 3.631e-05,
                    350.0, 1e-05, INT64_MAX, rng.uniform(-100, 400), rng.randrange(-10, 100)])
    if v < 0:
        return "-%r" % (-v), "neg(%r)" % (-v)
    return repr(v), repr(v)


def num_expr(rng, d, at):
    r = rng.random()
    if at and r < 0.3:
        return path(rng.choice(ELEM_NUM), at)
    if d <= 0 or r < 0.45:
        return path(rng.choice(NUM_PATHS)) if rng.random() < 0.6 else num_lit(rng)
    if r < 0.7:
        op = rng.choice("+-*/%")
        (a, pa), (b, pb) = num_expr(rng, d - 1, at), num_expr(rng, d - 1, at)
        return "(%s %s %s)" % (a, op, b), "arith(%r, %s, %s)" % (op, pa, pb)
    if r < 0.75:
        a, pa = num_expr(rng, d - 1, at)
        return "-(%s)" % a, "neg(%s)" % pa
    fn = rng.choice(["abs", "sqrt", "log10", "min", "max", "len", "angsep", "count"])
    if fn == "len":
        a, pa = rng.choice([path(rng.choice(ANY_PATHS + STR_PATHS)), str_lit(rng, rng.choice(WORDS))])
        return "len(%s)" % a, "b_len(%s)" % pa
    if fn == "count":
        return quantifier(rng, "count", d, at)
    n = {"abs": 1, "sqrt": 1, "log10": 1, "min": 2, "max": 2, "angsep": 4}[fn]
    args = [num_expr(rng, d - 1, at) for _ in range(n)]
    return "%s(%s)" % (fn, ", ".join(a for a, _ in args)), "b_%s(%s)" % (fn, ", ".join(p for _, p in args))


def str_expr(rng, at):
    if at and rng.random() < 0.4:
        return path(rng.choice(ELEM_STR), at)
    if rng.random() < 0.5:
        return path(rng.choice(STR_PATHS))
    return str_lit(rng, rng.choice(WORDS))


def quantifier(rng, kind, d, at):
    arr, parr = path(rng.choice(ANY_PATHS), at) if at and rng.random() < 0.3 else path(rng.choice(ANY_PATHS))
    name = "e%d" % d
    pred, ppred = bool_expr(rng, d - 1, "@", name)
    return "%s(%s, %s)" % (kind, arr, pred), "quant(%r, %s, lambda %s: %s)" % (kind, parr, name, ppred)


def bool_expr(rng, d, at=None, at_py=None):
    """at is '@' inside a predicate; at_py the Python name bound to it."""
    atp = at_py if at else None
    r = rng.random()
    if d > 0 and r < 0.25:
        op = rng.choice(["and", "or", "&&", "||"])
        (a, pa), (b, pb) = bool_expr(rng, d - 1, at, at_py), bool_expr(rng, d - 1, at, at_py)
        py = "(truthy(%s) and truthy(%s))" if op in ("and", "&&") else "(truthy(%s) or truthy(%s))"
        return "(%s %s %s)" % (a, op, b), py % (pa, pb)
    if d > 0 and r < 0.32:
        a, pa = bool_expr(rng, d - 1, at, at_py)
        return "%s(%s)" % (rng.choice(["not ", "!"]), a), "(not truthy(%s))" % pa
    if r < 0.55:
        op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        (a, pa), (b, pb) = num_expr(rng, max(d - 1, 0), atp), num_expr(rng, max(d - 1, 0), atp)
        return "%s %s %s" % (a, op, b), "cmp(%r, %s, %s)" % (op, pa, pb)
    if r < 0.62:
        op = rng.choice(["==", "!=", "<", ">="])
        (a, pa), (b, pb) = str_expr(rng, atp), str_expr(rng, atp)
        if rng.random() < 0.2:
            b, pb = num_lit(rng)
        return "%s %s %s" % (a, op, b), "cmp(%r, %s, %s)" % (op, pa, pb)
    if r < 0.68:
        negate = rng.random() < 0.4
        x, px = (str_expr(rng, atp) if rng.random() < 0.5 else num_expr(rng, 0, atp))
        items = [str_lit(rng, rng.choice(WORDS)) if rng.random() < 0.5 else num_lit(rng)
                 for _ in range(rng.randrange(1, 4))]
        text = "%s %s (%s)" % (x, "not in" if negate else "in", ", ".join(t for t, _ in items))
        return text, "in_(%s, [%s], %r)" % (px, ", ".join(p for _, p in items), negate)
    if r < 0.73:
        steps = rng.choice(NUM_PATHS + STR_PATHS + ANY_PATHS)
        if atp and rng.random() < 0.5:
            t, p = path(rng.choice(ELEM_NUM + ELEM_STR), atp)
        else:
            t, p = path(steps)
        return "exists(%s)" % t, "(not isnone(%s))" % p
    if r < 0.78:
        (a, pa) = rng.choice([path(rng.choice(NUM_PATHS + STR_PATHS)), num_lit(rng)])
        op = rng.choice(["==", "!="])
        return "%s %s %s" % (a, op, rng.choice(["null", "None"])), "(isnone(%s) == %r)" % (pa, op == "==")
    if r < 0.82:
        (a, pa), (b, pb) = str_expr(rng, atp), str_expr(rng, atp)
        return "startswith(%s, %s)" % (a, b), "b_startswith(%s, %s)" % (pa, pb)
    if r < 0.86:
        args = [path(["diaSource", "ra"]), path(["diaSource", "decl"])] + [num_lit(rng) for _ in range(2)]
        args.append((repr(rng.choice([1, 5.5, 30, 90, 180])), None))
        args[-1] = (args[-1][0], args[-1][0])
        return "cone(%s)" % ", ".join(a for a, _ in args), "b_cone(%s)" % ", ".join(p for _, p in args)
    if d > 0 and r < 0.94:
        return quantifier(rng, rng.choice(["any", "all"]), d, at_py)
    if r < 0.97:
        t, p = path(rng.choice(NUM_PATHS + STR_PATHS + ANY_PATHS))
        return t, p
    return rng.choice([("true", "True"), ("false", "False"), ("True", "True"), ("None", "None")])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--alerts", type=int, default=200)
    ap.add_argument("--rules", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    alerts = [alert(rng) for _ in range(args.alerts)]
    for a in alerts:
        print("A\t" + render_alert(rng, a))
    for _ in range(args.rules):
        text, py = bool_expr(rng, rng.choice([1, 2, 3]))
        pred = eval("lambda A: truthy(%s)" % py)
        bits = "".join("1" if pred(a) else "0" for a in alerts)
        print("R\t%s\t%s" % (text, bits))
        print("P\t" + py)


if __name__ == "__main__":
    main()
