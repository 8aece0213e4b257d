#!/usr/bin/env python3
"""bench/avro_fastavro.py FILE.avro PATH — the Python peer of `alertfilter eval` on Avro:
fastavro reads each record of the object container file, the rule exists(PATH) is
applied, and each match is written as "all<TAB>" and json.dumps of it, normalised
as alertfilter writes Avro (bytes as base64, NaN and infinities as null)."""
import base64
import json
import math
import sys

import fastavro
import fastavro.read

fastavro.read.LOGICAL_READERS.clear()  # logical types read as their underlying type, as alertfilter does


def norm(v):
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def exists(rec, path):
    for key in path:
        if not isinstance(rec, dict) or key not in rec:
            return False
        rec = rec[key]
    return True


def main(path, field):
    keys = field.split(".")
    write = sys.stdout.write
    with open(path, "rb") as f:
        for rec in fastavro.reader(f):
            if exists(rec, keys):
                write("all\t" + json.dumps(norm(rec), separators=(",", ":"), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
