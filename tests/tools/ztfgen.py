#!/usr/bin/env python3
"""tests/tools/ztfgen.py — ZTF-shaped alerts for tests and benchmarks, our own.

The field names are ZTF's public alert schema (ztf.alert, ztf.alert.candidate,
ztf.alert.prv_candidate, ztf.alert.cutout), plus the columns Fink adds before
its filters run (cdsxmatch, roid, the classifiers' scores, mulens, tracklet).
Values are spread so that each broker filter of tests/tools/brokers.py selects
some alerts but not all; nulls are where ZTF has them (prv_candidates null, the
upper limits' magpsf/sigmapsf/isdiffpos/rb/candid null, -999 for "no match"
distances and magnitudes, a missing drb) and where a broker's enrichment can
leave one. Deterministic for a given seed.

  ztfgen.py --seed S --alerts N --format python|json   writes N alerts, one per line
"""
import argparse
import base64
import json
import math
import random

CDS_CLASSES = (["Unknown"] * 12 + ["Galaxy", "EmG", "Seyfert_1", "SN", "Candidate_SN*", "Transient", "Fail",
               "RRLyr", "RRLyr", "Star", "EB*", "QSO", "YSO", "LPV*", "galaxy", "BClG"])


def maybe(rng, p_missing, value, missing=-999.0):
    """value, or ZTF's -999 (or None) standing for 'no such measurement'."""
    return missing if rng.random() < p_missing else value


def prv_candidate(rng, jd_now, fid_now):
    jd = round(jd_now - 10 ** rng.uniform(-3, 1.5), 6)
    fid = fid_now if rng.random() < 0.6 else rng.choice([1, 2, 3])
    p = {"jd": jd, "fid": fid, "pid": rng.randrange(10 ** 11, 10 ** 12), "diffmaglim": round(rng.uniform(19, 21), 4),
         "programid": rng.choice([1, 1, 2, 3]), "field": rng.randrange(200, 900)}
    if rng.random() < 0.6:  # a detection
        p.update({"candid": rng.randrange(10 ** 17, 10 ** 18), "isdiffpos": rng.choice(["t", "t", "t", "f", "1", "0"]),
                  "magpsf": round(rng.uniform(15, 21.5), 4), "sigmapsf": round(rng.uniform(0.01, 0.3), 5),
                  "rb": round(rng.random(), 5)})
    else:  # an upper limit: ZTF gives the fields, null
        p.update({"candid": None, "isdiffpos": None, "magpsf": None, "sigmapsf": None, "rb": None})
    return p


def candidate(rng, jd):
    dec = math.degrees(math.asin(rng.uniform(math.sin(math.radians(-30)), 1)))
    c = {
        "jd": jd, "fid": rng.choice([1, 2, 2, 1, 3]), "pid": rng.randrange(10 ** 11, 10 ** 12),
        "diffmaglim": round(rng.uniform(19, 21), 4), "programid": rng.choice([1, 1, 2, 3]),
        "candid": rng.randrange(10 ** 17, 10 ** 18), "isdiffpos": rng.choice(["t"] * 6 + ["f", "1", "0"]),
        "ra": round(rng.uniform(0, 360), 7), "dec": round(dec, 7),
        "magpsf": round(rng.uniform(15, 21.5), 4), "sigmapsf": round(rng.uniform(0.005, 0.3), 5),
        "magap": round(rng.uniform(15, 22), 4), "magdiff": round(rng.gauss(0, 0.15), 5),
        "rb": round(rng.random() ** 0.5, 5), "drb": maybe(rng, 0.03, round(rng.random() ** 0.4, 5), None),
        "classtar": round(rng.random(), 3), "fwhm": round(rng.uniform(1, 8), 3), "elong": round(rng.uniform(0.9, 1.8), 4),
        "nbad": rng.choice([0, 0, 0, 0, 0, 0, 1, 2, 3, 5]), "chipsf": round(rng.uniform(0, 20), 3),
        "ssdistnr": maybe(rng, 0.65, round(rng.uniform(0, 40), 3)),
        "ssmagnr": maybe(rng, 0.65, round(rng.uniform(15, 23), 2)),
        "ssnamenr": maybe(rng, 0.65, "%d" % rng.randrange(1000, 600000), None),
        "sgscore1": maybe(rng, 0.1, round(rng.random(), 4)), "distpsnr1": maybe(rng, 0.1, round(rng.uniform(0, 30), 4)),
        "srmag1": maybe(rng, 0.15, round(rng.uniform(11, 23), 3)), "simag1": maybe(rng, 0.15, round(rng.uniform(11, 23), 3)),
        "szmag1": maybe(rng, 0.15, round(rng.uniform(11, 23), 3)), "sgmag1": maybe(rng, 0.15, round(rng.uniform(11, 23), 3)),
        "neargaia": maybe(rng, 0.2, round(rng.uniform(0, 30), 4)), "maggaia": maybe(rng, 0.2, round(rng.uniform(9, 21), 3)),
        "neargaiabright": maybe(rng, 0.2, round(rng.uniform(0, 60), 4)),
        "maggaiabright": maybe(rng, 0.2, round(rng.uniform(5, 14), 3)),
        "distnr": maybe(rng, 0.2, round(rng.uniform(0, 5), 4)), "magnr": maybe(rng, 0.2, round(rng.uniform(14, 22), 3)),
        "ndethist": int(10 ** rng.uniform(0, 2)), "ncovhist": rng.randrange(1, 400),
        "jdstarthist": round(jd - 10 ** rng.uniform(-2, 2.5), 6), "field": rng.randrange(200, 900),
    }
    if rng.random() < 0.03:
        del c["drb"]  # older alerts have none
    return c


def fink_columns(rng):
    score = lambda power: maybe(rng, 0.03, round(rng.random() ** power, 4), None)
    return {
        "cdsxmatch": maybe(rng, 0.02, rng.choice(CDS_CLASSES), None),
        "roid": rng.choice([0, 0, 0, 0, 0, 0, 1, 2, 3, 3]),
        "rf_snia_vs_nonia": score(1.5), "snn_snia_vs_nonia": score(1), "snn_sn_vs_all": score(1),
        "rf_kn_vs_nonkn": score(2),
        "mulens": 0.0 if rng.random() < 0.9 else round(rng.random(), 4),
        "tracklet": "" if rng.random() < 0.9 else "TRCK_20240101_%06d" % rng.randrange(10 ** 6),
    }


def cutout(rng, name):
    return {"fileName": name, "stampData": bytes(rng.randrange(256) for _ in range(rng.randrange(8, 40)))}


def alert(rng, i):
    jd = round(2460000.5 + rng.uniform(0, 30), 6)
    cand = candidate(rng, jd)
    if rng.random() < 0.08:
        prv = None
    else:
        prv = sorted((prv_candidate(rng, jd, cand["fid"]) for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 28]))),
                     key=lambda p: p["jd"])
    a = {"schemavsn": "3.3", "publisher": "ZTF (www.ztf.caltech.edu)", "objectId": "ZTF24a%06d" % i,
         "candid": cand["candid"], "candidate": cand, "prv_candidates": prv}
    a.update(fink_columns(rng))
    for name in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
        a[name] = cutout(rng, "candid%d_%s.fits.gz" % (cand["candid"], name[6:].lower())) if rng.random() < 0.95 else None
    return a


def alerts(seed, n):
    rng = random.Random(seed)
    return [alert(rng, i) for i in range(n)]


def to_json(a):
    """JSON text of an alert: the cutouts' bytes as base64, as our writer does."""
    def default(o):
        return base64.b64encode(o).decode()
    return json.dumps(a, default=default)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--alerts", type=int, default=1000)
    ap.add_argument("--format", choices=["python", "json"], default="python")
    args = ap.parse_args()
    for a in alerts(args.seed, args.alerts):
        print(str(a) if args.format == "python" else to_json(a))


if __name__ == "__main__":
    main()
