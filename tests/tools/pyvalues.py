#!/usr/bin/env python3
"""tests/tools/pyvalues.py — random Python values for the alert reader's differential test.

  pyvalues.py gen FORMAT SEED COUNT OUT   writes COUNT random values, one per line:
                                          repr() for FORMAT=python, JSON text for FORMAT=json
  pyvalues.py check FORMAT IN OUT         reads each line of IN the way Python does and compares it
                                          with json.loads of the same line of OUT (our JSON);
                                          prints "compared N mismatched M" and the first mismatches
"""
import ast
import base64
import json
import random
import struct
import sys

SPECIAL_FLOATS = [0.0, -0.0, 5e-324, 1.7976931348623157e308, 1e-05, 1e16, 0.1, 2.5, -1e-300, 123456789.125]
SPECIAL_INTS = [0, -1, 2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**64, 10**30, -10**40]
CHAR_POOLS = [
    "abcxyz019 _.,:;{}[]()",          # plain text and structure characters
    "'\"\\/",                         # quotes and backslashes
    "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f",  # control characters
    "\u00e9\u00ff\u0100\u20ac\u2028\ufeff\uffff",  # 2- and 3-byte UTF-8
    "\U0001f600\U00010000\U0010ffff",  # 4-byte UTF-8
    "\ud800\udbff\udc00\udfff\ud83d\ude00",  # lone surrogates (Python str allows them)
]


def rand_str(rng, max_len=12):
    return "".join(rng.choice(rng.choice(CHAR_POOLS)) for _ in range(rng.randrange(max_len)))


def rand_float(rng):
    if rng.random() < 0.3:
        return rng.choice(SPECIAL_FLOATS)
    if rng.random() < 0.5:
        return round(rng.uniform(-1000, 1000), rng.randrange(12))
    while True:
        f = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if f == f and abs(f) != float("inf"):
            return f


def rand_int(rng):
    if rng.random() < 0.3:
        return rng.choice(SPECIAL_INTS)
    return rng.randrange(-10 ** rng.randrange(1, 60), 10 ** rng.randrange(1, 60))


def rand_key(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return rand_int(rng)
    if kind == 1:
        return rand_float(rng)
    if kind == 2:
        return rng.choice([True, False, None])
    return rand_str(rng, 8)


def rand_value(rng, depth=0):
    kinds = ["none", "bool", "int", "float", "str", "bytes"]
    if depth < 4:
        kinds += ["list", "tuple", "dict"] * 2
    kind = rng.choice(kinds)
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rand_int(rng)
    if kind == "float":
        return rand_float(rng)
    if kind == "str":
        return rand_str(rng)
    if kind == "bytes":
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(10)))
    n = rng.randrange(6)
    if kind == "list":
        return [rand_value(rng, depth + 1) for _ in range(n)]
    if kind == "tuple":
        return tuple(rand_value(rng, depth + 1) for _ in range(n))
    return {rand_key(rng): rand_value(rng, depth + 1) for _ in range(n)}


def jsonable(v):
    """What our writer makes of v: bytes as base64, tuples as lists; json.dumps spells the keys."""
    if isinstance(v, bytes):
        return base64.b64encode(v).decode("ascii")
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def json_text(rng, v):
    """JSON for the reader: varied spacing and escaping, '/' sometimes escaped."""
    seps = rng.choice([(",", ":"), (", ", ": "), (" ,\t", " \r: ")])
    text = json.dumps(jsonable(v), ensure_ascii=rng.random() < 0.5, separators=seps)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates can only be written escaped
        text = json.dumps(jsonable(v), ensure_ascii=True, separators=seps)
    if rng.random() < 0.3:
        text = text.replace("/", "\\/")  # '/' only ever occurs inside JSON strings
    return text


def generate(fmt, seed, count, out):
    rng = random.Random(seed)
    with open(out, "wb") as f:
        for _ in range(count):
            v = rand_value(rng)
            text = repr(v) if fmt == "python" else json_text(rng, v)
            f.write(text.encode("utf-8") + b"\n")


def same(a, b):
    """Equality that also tells 1 from 1.0 from True and 0.0 from -0.0, and keeps key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(ka, kb) and same(va, vb)
                                        for (ka, va), (kb, vb) in zip(a.items(), b.items()))
    return a == b


def expected(fmt, line):
    if fmt == "python":
        return json.loads(json.dumps(jsonable(ast.literal_eval(line.decode("utf-8", "surrogatepass")))))
    return json.loads(line)


def check(fmt, inp, out):
    with open(inp, "rb") as f:
        inputs = f.read().split(b"\n")[:-1]
    with open(out, "rb") as f:
        outputs = f.read().split(b"\n")[:-1]
    mismatched = 0
    for i, (line, got) in enumerate(zip(inputs, outputs)):
        try:
            ok = same(expected(fmt, line), json.loads(got))
        except ValueError:
            ok = False
        if not ok:
            mismatched += 1
            if mismatched <= 5:
                print("line %d: %r -> %r" % (i + 1, line, got))
    mismatched += abs(len(inputs) - len(outputs))
    print("compared %d mismatched %d" % (min(len(inputs), len(outputs)), mismatched))


def main(argv):
    if len(argv) == 6 and argv[1] == "gen":
        generate(argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif len(argv) == 5 and argv[1] == "check":
        check(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
