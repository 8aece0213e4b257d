#!/usr/bin/env python3
"""bench/watchlist.py N OUT.csv — a watchlist of N entries for make bench (made
at bench time, never committed): positions uniform on the sphere, named like
white dwarfs ("WD J" and a number). A million 2" cones cover a few millionths
of the sky, as real watchlists do: nearly every alert is looked up and missed."""
import math
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(15)
with open(out, "w") as f:
    f.write("name,ra,dec\n")
    for k in range(n):
        ra, dec = rng.uniform(0, 360), math.degrees(math.asin(rng.uniform(-1, 1)))
        f.write(f"WD J{k:07d},{ra:.7f},{dec:.7f}\n")
