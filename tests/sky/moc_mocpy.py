#!/usr/bin/env python3
"""tests/sky/moc_mocpy.py DIR — writes a MOC made with mocpy (cones, a polygon
and single cells from order 0 to 29) in three forms, DIR/map_nuniq.fits (MOC
1.x, NUNIQ), DIR/map_range.fits (MOC 2.0, RANGE) and DIR/map.txt (ASCII), and
DIR/points.csv: positions and whether mocpy's contains_lonlat holds them
(mocpy pinned in tests/requirements-test.txt). test_moc.c checks sky_moc_contains
against it."""
import random
import sys

import astropy.units as u
import numpy as np
from mocpy import MOC

out = sys.argv[1]
rng = random.Random(1515)
moc = MOC.from_cone(lon=40 * u.deg, lat=-30 * u.deg, radius=8 * u.deg, max_depth=9)
moc = moc.union(MOC.from_cone(lon=359.5 * u.deg, lat=1 * u.deg, radius=3 * u.deg, max_depth=11))
moc = moc.union(MOC.from_cone(lon=0 * u.deg, lat=90 * u.deg, radius=2 * u.deg, max_depth=7))
moc = moc.union(MOC.from_polygon(lon=[200, 230, 215] * u.deg, lat=[10, 12, 40] * u.deg, max_depth=12))
# One cell at each order, away from the shapes above.
depth = np.arange(0, 30, dtype=np.uint8)
ipix = np.array([(7 * 4**d + 3 * d) % (12 * 4**d) if d else 11 for d in range(30)], dtype=np.uint64)
moc = moc.union(MOC.from_healpix_cells(ipix, depth, max_depth=29))
moc.save(f"{out}/map_nuniq.fits", format="fits", v1_compatible=True, overwrite=True)
moc.save(f"{out}/map_range.fits", format="fits", overwrite=True)
moc.save(f"{out}/map.txt", format="ascii", overwrite=True)

pts = []
for _ in range(20000):
    pts.append((rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-1, 1)))))
for lon, lat, r in [(40, -30, 8.2), (359.5, 1, 3.2), (0, 89, 2.5), (215, 20, 20)]:
    for _ in range(5000):  # around the edges of the shapes
        pts.append(((lon + rng.uniform(-r, r)) % 360, max(-90, min(90, lat + rng.uniform(-r, r)))))
ra = np.array([p[0] for p in pts])
dec = np.array([p[1] for p in pts])
inside = moc.contains_lonlat(ra * u.deg, dec * u.deg)
with open(f"{out}/points.csv", "w") as f:
    for a, d, i in zip(ra, dec, inside):
        f.write(f"{float(a)!r},{float(d)!r},{int(i)}\n")
