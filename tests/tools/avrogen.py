#!/usr/bin/env python3
"""tests/tools/avrogen.py — random Avro records and fastavro's reading of them, for
the Avro reader's differential test and benchmarks.

  avrogen.py lsst-dir                       prints lsst-alert-packet's schema directory
  avrogen.py versions                       prints each schema version it ships (e.g. 7/4), one a line
  avrogen.py gen SEED COUNT CODEC OUT SCHEMA.avsc...
                                            writes COUNT random records of the last schema's type
                                            (the others define the types it names) as an object
                                            container file with CODEC (null or deflate), in blocks
                                            of a few records
  avrogen.py expect IN.avro OUT             writes what eval should print for each record of IN:
                                            "all<TAB>" and json.dumps of fastavro's reading,
                                            normalised as alertfilter writes Avro (bytes as base64,
                                            floats as their shortest 32-bit decimal, NaN and
                                            infinities as null)
  avrogen.py rewrite IN.avro OUT.avro FIELD=null|FIELD=bytes:N...
                                            IN's records with the given top-level fields set to
                                            null or to N random bytes (e.g. Rubin's cutouts),
                                            written with IN's schema
  avrogen.py shaped SEED COUNT OUT SCHEMA.avsc...
                                            as gen (codec null), but shaped like survey alerts:
                                            arrays of 20, bytes of 16,000, finite numbers, unions
                                            not null 4 times in 5
  avrogen.py repeat IN.avro COUNT OUT.avro  IN's records repeated to COUNT, in one file
  avrogen.py diff BIN SEED COUNT DIR        the differential test: for every lsst-alert-packet schema
                                            version, its sample alerts and COUNT random records
                                            (codecs null, deflate, snappy in turn), and COUNT random ZTF-shaped and
                                            every-type records, all read by one `BIN eval` and
                                            compared with `expect`; prints "compared N mismatched M"
                                            and the first mismatches
"""
import base64
import importlib.util
import json
import math
import os
import random
import struct
import subprocess
import sys

import fastavro
import fastavro.read

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def lsst_dir():
    spec = importlib.util.find_spec("lsst.alert.packet")
    return os.path.join(list(spec.submodule_search_locations)[0], "schema")


def versions():
    root = lsst_dir()
    out = []
    for major in sorted(os.listdir(root), key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0)):
        if not major.isdigit():
            continue
        for minor in sorted(os.listdir(os.path.join(root, major)), key=int):
            out.append(f"{major}/{minor}")
    return out


# ---- schemas: every named type by full name ----

def full(name, ns):
    return name if "." in name or not ns else f"{ns}.{name}"


def collect(schema, ns, names):
    """Registers the named types in schema (a parsed .avsc) and returns it with namespaces resolved."""
    if isinstance(schema, str):
        return schema if schema in PRIMITIVES else schema
    if isinstance(schema, list):
        return [collect(s, ns, names) for s in schema]
    t = schema["type"]
    if t in ("record", "error", "enum", "fixed"):
        space = schema.get("namespace", ns) if "." not in schema["name"] else ns
        name = full(schema["name"], space)
        inner = name.rpartition(".")[0]
        names[name] = schema
        schema["_ns"] = inner
        if t in ("record", "error"):
            for f in schema["fields"]:
                f["type"] = collect(f["type"], inner, names)
        return schema
    if t == "array":
        schema["items"] = collect(schema["items"], ns, names)
    elif t == "map":
        schema["values"] = collect(schema["values"], ns, names)
    elif isinstance(t, (dict, list)):
        return collect(t, ns, names)
    schema["_ns"] = ns
    return schema


def resolve(schema, names, ns):
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return schema
        return names[full(schema, ns)] if full(schema, ns) in names else names[schema]
    return schema


def load(paths):
    names = {}
    root = None
    for p in paths:
        with open(p) as f:
            root = collect(json.load(f), "", names)
    return root, names


# ---- random values ----

SPECIAL_DOUBLES = [0.0, -0.0, 5e-324, 1.7976931348623157e308, 1e-05, 1e-4, 1e16, 1e15, 0.1, 2.5, -1e-300,
                   123456789.125, float("nan"), float("inf"), float("-inf"), 2.2250738585072014e-308]
SPECIAL_LONGS = [0, -1, 1, 63, 64, -64, -65, 2**31 - 1, -2**31, 2**63 - 1, -2**63]
CHARS = ["abcxyz019 _.,:;{}[]()", "\"\\/\b\f\n\r\t\x00\x01\x1f\x7f", "éüß€漢字", "😀𝄞"]


def rand_double(rng):
    r = rng.random()
    if r < 0.15:
        return rng.choice(SPECIAL_DOUBLES)
    if r < 0.3:
        return struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
    if r < 0.6:
        return round(rng.uniform(-1e4, 1e4), rng.randint(0, 9))
    return rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30)


def rand_float(rng):
    r = rng.random()
    if r < 0.3:
        return struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0]
    v = rand_double(rng)
    if math.isfinite(v) and abs(v) > 3.4e38:
        v = 3.4e38
    return struct.unpack("<f", struct.pack("<f", v))[0]


def rand_string(rng):
    pool = "".join(rng.sample(CHARS, rng.randint(1, len(CHARS))))
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))


SHAPED = False  # shaped like survey alerts (see `shaped`)


def rand_value(schema, names, rng, depth, ns=""):
    schema = resolve(schema, names, ns)
    if isinstance(schema, list):
        branch = rng.randrange(len(schema))
        if SHAPED and "null" in schema and len(schema) == 2:
            branch = 1 - schema.index("null") if rng.random() < 0.8 else schema.index("null")
        return ("union", branch, rand_value(schema[branch], names, rng, depth, ns))
    if isinstance(schema, dict) and schema["type"] in PRIMITIVES:
        schema = schema["type"]  # a logical type: its underlying type
    if isinstance(schema, str):
        if schema == "null":
            return None
        if schema == "boolean":
            return rng.random() < 0.5
        if schema in ("int", "long"):
            bits = 31 if schema == "int" else 63
            r = rng.random()
            if r < 0.3:
                return rng.choice([v for v in SPECIAL_LONGS if -2**bits <= v < 2**bits])
            return rng.randint(-2**rng.randint(1, bits), 2**rng.randint(1, bits) - 1)
        if schema in ("float", "double") and SHAPED:
            v = rng.uniform(-1000, 1000)
            return struct.unpack("<f", struct.pack("<f", v))[0] if schema == "float" else v
        if schema == "float":
            return rand_float(rng)
        if schema == "double":
            return rand_double(rng)
        if schema == "bytes" and SHAPED:
            return rng.randbytes(16000)
        if schema == "bytes":
            return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 20)))
        if schema == "string":
            return rand_string(rng)
    t = schema["type"]
    inner = schema.get("_ns", ns)
    if t in ("record", "error"):
        return {f["name"]: rand_value(f["type"], names, rng, depth + 1, inner) for f in schema["fields"]}
    if t == "enum":
        return rng.choice(schema["symbols"])
    if t == "fixed":
        return bytes(rng.getrandbits(8) for _ in range(schema["size"]))
    if t == "array":
        n = 20 if SHAPED else rng.randint(0, 4 if depth < 3 else 1)
        return [rand_value(schema["items"], names, rng, depth + 1, ns) for _ in range(n)]
    if t == "map":
        n = rng.randint(0, 3 if depth < 3 else 1)
        return {rand_string(rng) + str(i): rand_value(schema["values"], names, rng, depth + 1, ns) for i in range(n)}
    raise ValueError(f"unknown type {t}")


def plain(v):
    """A generated value as fastavro's writer takes it (a union's branch chosen by its value)."""
    if isinstance(v, tuple):
        return plain(v[2])
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def one_schema(paths):
    """The schemas of paths as one: each named type defined where it is first used (as an OCF header needs)."""
    texts = [json.load(open(p)) for p in paths]
    defs = {}
    for t in texts:
        collect(json.loads(json.dumps(t)), "", defs)
    raw = {}  # full name -> the raw definition, from a second parse (collect marks what it reads)
    for t in texts:
        collect(t, "", raw)
    done = set()

    def walk(s, ns):
        if isinstance(s, str):
            if s in PRIMITIVES:
                return s
            name = full(s, ns) if full(s, ns) in raw else s
            if name in done:
                return name
            return walk(raw[name], ns)
        if isinstance(s, list):
            return [walk(x, ns) for x in s]
        s = {k: v for k, v in s.items() if k != "_ns"}
        t = s["type"]
        if t in ("record", "error", "enum", "fixed"):
            space = s.get("namespace", ns) if "." not in s["name"] else ns
            name = full(s["name"], space)
            done.add(name)
            s["name"] = name
            s.pop("namespace", None)
            inner = name.rpartition(".")[0]
            if t in ("record", "error"):
                s["fields"] = [dict(f, type=walk(f["type"], inner)) for f in s["fields"]]
            return s
        if t == "array":
            s["items"] = walk(s["items"], ns)
        elif t == "map":
            s["values"] = walk(s["values"], ns)
        elif isinstance(t, (dict, list)):
            return walk(t, ns)
        return s

    return walk(texts[-1], "")


def gen(seed, count, codec, out, paths):
    rng = random.Random(seed)
    root, names = load(paths)
    schema = fastavro.parse_schema(one_schema(paths))
    records = []
    for _ in range(count):
        records.append(plain(rand_value(root, names, rng, 0)))
    with open(out, "wb") as f:
        fastavro.writer(f, schema, records, codec=codec, sync_interval=rng.randint(200, 4000))


# ---- fastavro's reading, normalised ----

def shortest_float32(x):
    """The shortest decimal that reads back to the 32-bit float x, as a Python float (whose repr it is)."""
    for digits in range(1, 10):
        s = "%.*e" % (digits - 1, x)
        if struct.unpack("<f", struct.pack("<f", float(s)))[0] == x:
            return float(s)
    return x


def normalise(v, schema, names, ns=""):
    schema = resolve(schema, names, ns)
    if isinstance(schema, list):
        # fastavro gives the value; its branch is the one our reading took too: find it by shape
        for branch in schema:
            b = resolve(branch, names, ns)
            if fits(v, b, names, ns):
                return normalise(v, b, names, ns)
        raise ValueError(f"no branch fits {v!r}")
    if isinstance(schema, dict) and schema["type"] in PRIMITIVES:
        schema = schema["type"]
    if isinstance(schema, str):
        if schema in ("float", "double"):
            if math.isnan(v) or math.isinf(v):
                return None
            return shortest_float32(v) if schema == "float" else v
        if schema == "bytes":
            return base64.b64encode(v).decode()
        return v
    t = schema["type"]
    inner = schema.get("_ns", ns)
    if t in ("record", "error"):
        return {f["name"]: normalise(v[f["name"]], f["type"], names, inner) for f in schema["fields"]}
    if t == "fixed":
        return base64.b64encode(v).decode()
    if t == "array":
        return [normalise(x, schema["items"], names, ns) for x in v]
    if t == "map":
        return {k: normalise(x, schema["values"], names, ns) for k, x in v.items()}
    return v


def fits(v, schema, names, ns):
    if isinstance(schema, dict) and schema["type"] in PRIMITIVES:
        schema = schema["type"]
    if isinstance(schema, str):
        return {"null": v is None, "boolean": isinstance(v, bool),
                "int": isinstance(v, int) and not isinstance(v, bool),
                "long": isinstance(v, int) and not isinstance(v, bool),
                "float": isinstance(v, float), "double": isinstance(v, float),
                "bytes": isinstance(v, bytes), "string": isinstance(v, str)}[schema]
    t = schema["type"]
    return {"record": isinstance(v, dict), "error": isinstance(v, dict), "map": isinstance(v, dict),
            "array": isinstance(v, list), "enum": isinstance(v, str), "fixed": isinstance(v, bytes)}[t]


def expect(inp, out):
    fastavro.read.LOGICAL_READERS.clear()  # logical types are read as their underlying type
    with open(inp, "rb") as f:
        reader = fastavro.reader(f)
        writer_schema = json.loads(reader.metadata["avro.schema"])
        names = {}
        root = collect(writer_schema, "", names)
        with open(out, "w") as o:
            for rec in reader:
                o.write("all\t" + json.dumps(normalise(rec, root, names), ensure_ascii=False,
                                            separators=(",", ":"), allow_nan=False) + "\n")


def rewrite(inp, out, fields):
    with open(inp, "rb") as f:
        reader = fastavro.reader(f)
        schema = json.loads(reader.metadata["avro.schema"])
        records = list(reader)
    rng = random.Random(1)
    for r in records:
        for name, value in fields:
            r[name] = rng.randbytes(int(value[6:])) if value.startswith("bytes:") else None
    with open(out, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), records)


def repeat(inp, count, out):
    with open(inp, "rb") as f:
        reader = fastavro.reader(f)
        schema = json.loads(reader.metadata["avro.schema"])
        records = list(reader)
    with open(out, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), (records[i % len(records)] for i in range(count)))


HERE = os.path.dirname(os.path.abspath(__file__))


def diff(binary, seed, count, work):
    root = lsst_dir()
    files = []
    for i, v in enumerate(versions()):
        d = os.path.join(root, v)
        avsc = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".avsc"))
        avsc.sort(key=lambda p: p.endswith(".alert.avsc"))  # the alert's schema last: it names the others
        files.append(os.path.join(d, "sample_data", "fakeAlert.avro"))
        out = os.path.join(work, f"lsst{v.replace('/', '_')}.avro")
        gen(seed + i, count, ("null", "deflate", "snappy")[i % 3], out, avsc)
        files.append(out)
    for j, name in enumerate(("ztf.avsc", "every_type.avsc")):
        out = os.path.join(work, name.replace(".avsc", ".avro"))
        gen(seed + 100 + j, count, "deflate" if j else "null", out,
            [os.path.join(HERE, "..", "alert", "avro", name)])
        files.append(out)
    expected = []
    for f in files:
        exp = os.path.join(work, "expected")
        expect(f, exp)
        expected += open(exp, encoding="utf-8").read().splitlines()
    cfg = os.path.join(work, "all.cfg")
    with open(cfg, "w") as c:
        c.write('rules = ( { name = "all"; topic = "all"; where = "true"; } );\n')
    run = subprocess.run([binary, "eval", "-c", cfg] + files, capture_output=True)
    got = run.stdout.decode("utf-8").splitlines()
    mismatched = sum(1 for a, b in zip(expected, got) if a != b) + abs(len(expected) - len(got))
    print(f"compared {len(expected)} mismatched {mismatched}")
    if run.returncode != 0 or run.stderr:
        print(f"eval exited {run.returncode}: {run.stderr.decode()[:2000]}")
    shown = 0
    for n, (a, b) in enumerate(zip(expected, got)):
        if a != b and shown < 3:
            i = next(k for k in range(min(len(a), len(b))) if a[k] != b[k]) if a[:len(b)] != b[:len(a)] else min(len(a), len(b))
            print(f"record {n + 1}: fastavro ...{a[max(0, i - 60):i + 60]}\n          eval ...{b[max(0, i - 60):i + 60]}")
            shown += 1


def main(argv):
    cmd = argv[1]
    if cmd == "lsst-dir":
        print(lsst_dir())
    elif cmd == "versions":
        print("\n".join(versions()))
    elif cmd == "gen":
        gen(int(argv[2]), int(argv[3]), argv[4], argv[5], argv[6:])
    elif cmd == "expect":
        expect(argv[2], argv[3])
    elif cmd == "rewrite":
        rewrite(argv[2], argv[3], [a.split("=", 1) for a in argv[4:]])
    elif cmd == "shaped":
        global SHAPED
        SHAPED = True
        gen(int(argv[2]), int(argv[3]), "null", argv[4], argv[5:])
    elif cmd == "diff":
        diff(argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif cmd == "repeat":
        repeat(argv[2], int(argv[3]), argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
