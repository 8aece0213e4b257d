#!/usr/bin/env python3
"""tests/sky/watchlist_brute.py DIR — writes a watchlist DIR/list.csv (names,
some rows with their own radius, entries at RA 0/360 and at the poles) and
DIR/queries.csv: positions and the name of the nearest entry within its radius
(empty: none), found by comparing each query with every entry in its band of
declination (the separation is at least the difference in declination), the
separation computed as sky_angsep computes it. test_watchlist.c checks the index against it."""
import bisect
import math
import random
import sys

out = sys.argv[1]
rng = random.Random(1515)
DEG = math.pi / 180.0


def angsep(ra1, dec1, ra2, dec2):
    s_ddec = math.sin((dec2 - dec1) * DEG / 2)
    s_sum = math.sin((dec1 + dec2) * DEG / 2)
    s_dra = math.sin((ra2 - ra1) * DEG / 2)
    c_dra = math.cos((ra2 - ra1) * DEG / 2)
    cc = math.cos(dec1 * DEG) * math.cos(dec2 * DEG)
    hav = s_ddec * s_ddec + cc * s_dra * s_dra
    hav_anti = s_sum * s_sum + cc * c_dra * c_dra
    return 2 * math.atan2(math.sqrt(hav), math.sqrt(hav_anti)) / DEG


DEFAULT = 2.0  # arcsec, the list's radius in the test
entries = [(0.0, 0.0, None), (359.9999, 0.0, None), (0.0, 90.0, None), (200.0, -90.0, 5.0),
           (359.99999, 45.0, 3600.0), (180.0, 0.0, 0.5)]
while len(entries) < 3000:
    ra, dec = rng.uniform(0, 360), math.degrees(math.asin(rng.uniform(-1, 1)))
    # a cluster: entries closer than their radii, so that the nearest is chosen among several
    for _ in range(rng.choice([1, 1, 1, 3])):
        r = rng.choice([None, None, None, 1.0, 10.0, 60.0])
        entries.append(((ra + rng.uniform(-3e-3, 3e-3)) % 360, max(-90.0, min(90.0, dec + rng.uniform(-3e-3, 3e-3))), r))
with open(f"{out}/list.csv", "w") as f:
    f.write("# a test watchlist\nname,ra,dec,radius_arcsec,comment\n")
    for k, (ra, dec, r) in enumerate(entries):
        f.write(f"e{k},{ra!r},{dec!r},{'' if r is None else repr(r)},\"x, y\"\n")

queries = [(0.00001, 0.0), (359.99999, 0.0), (360 - 1e-12, 1e-5), (0.0, 89.9997), (123.0, 90.0), (77.0, -89.9990),
           (0.0, 45.0), (359.0, 45.0), (1.0, 45.3), (180.0001, 0.0)]
for ra, dec, r in entries:
    for _ in range(3):
        reach = (r or DEFAULT) / 3600 * 1.5
        queries.append(((ra + rng.uniform(-reach, reach) / max(0.01, math.cos(dec * DEG))) % 360,
                        max(-90.0, min(90.0, dec + rng.uniform(-reach, reach)))))
while len(queries) < 15000:
    queries.append((rng.uniform(0, 360), math.degrees(math.asin(rng.uniform(-1, 1)))))
by_dec = sorted(range(len(entries)), key=lambda k: entries[k][1])
decs = [entries[k][1] for k in by_dec]
widest = max(r or DEFAULT for _, _, r in entries) / 3600.0
hits = 0
with open(f"{out}/queries.csv", "w") as f:
    for qra, qdec in queries:
        best, best_sep = "", None
        band = by_dec[bisect.bisect_left(decs, qdec - widest - 1e-9):bisect.bisect_right(decs, qdec + widest + 1e-9)]
        for k in band:
            ra, dec, r = entries[k]
            sep = angsep(qra, qdec, ra, dec)
            if sep <= (r or DEFAULT) / 3600.0 and (best_sep is None or sep < best_sep):
                best, best_sep = f"e{k}", sep
        hits += best != ""
        f.write(f"{qra!r},{qdec!r},{best}\n")
print(f"{len(entries)} entries, {len(queries)} queries, {hits} matched", file=sys.stderr)
