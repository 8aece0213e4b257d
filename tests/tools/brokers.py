#!/usr/bin/env python3
"""tests/tools/brokers.py — twenty alert brokers' filters, each twice: as an
alertfilter rule (with shared definitions) and as a Python function over the
alert dict, written apart from the rule. Facts read from the brokers' public
code and docs, translated, not copied:

- ZTF: the purity cut of the ZTF alert documentation.
- AMPEL: DecentFilter (with a channel's run config: MIN_NDET 2, TSPAN 0..5 d,
  MIN_RB 0.3, MAX_FWHM 5.5, MAX_ELONG 1.4, MAX_MAGDIFF 1, MAX_NBAD 2,
  MIN_DIST_TO_SSO 20, MIN_GAL_LAT 14, PS1 star veto 1" and sgscore 0.8), the
  Gaia veto left out (it needs a catalogue server).
- Fink (fink-filters, on the columns Fink adds): kilonova, early kilonova (the
  Mangrove host match left out), early SN Ia, SN candidates, microlensing, ZTF
  and Fink solar-system objects, RR Lyrae, tracklets, the ZTF quality cuts, known
  SIMBAD objects.
- ZTF Bright Transient Survey (its rcf2020 filter): the main selection (bright
  now or lately, off the plane, positive, real, not under a PS1 star, seen
  before, not a rock; the variable-source and bright-star parts apart), its
  minor-planet match and its bright-star veto as filters of their own.
- Lasair (its sample queries on the object's detections): young repeating
  sources, and sources brightening against their band's mean.
- ANTARES: high signal-to-noise detections (SNR = 1.0857 / sigmapsf).
- AMPEL's nuclear filter (ZTFbh), its catalogue-free cuts.

Null semantics are the rule language's (a comparison with null is false, and
so is `x != c` for a null x): the Python functions spell them out with the
helpers below, as pandas' comparisons with NaN do for the brokers' own code.

Galactic latitude: the rules use galactic_b(ra, dec) (GALACTIC = True; False
leaves the |b| cuts out of both sides).
"""
import math

GALACTIC = True

# ---------------------------------------------------------------- the rule language's semantics in Python


def num(x):
    return isinstance(x, (int, float))


def cmp(op, a, b):
    """a OP b as rules compare: null is false; numbers by value; strings by content; else only != holds."""
    if a is None or b is None:
        return False
    if num(a) and num(b) or isinstance(a, str) and isinstance(b, str):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
    return op == "!="


def one_of(x, items):
    return x is not None and any(cmp("==", x, i) for i in items)


def sub(a, b):
    return a - b if num(a) and num(b) else None


def get(d, *path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def detections(a):
    """The prv_candidates that are detections (magpsf not null); None when there is no list."""
    prv = a.get("prv_candidates")
    return None if not isinstance(prv, list) else [p for p in prv if num(p.get("magpsf"))]


def positive(x):
    return one_of(x, ("t", "1"))


def galactic_b(ra, dec):
    """Galactic latitude in degrees of (ra, dec) in degrees: the angle to the plane whose north pole is at
    FK5 J2000 (192.85948, 27.12825). The ICRS frame bias (about 20 mas) is left out: its few 1e-6 degrees
    decide no cut unless an alert falls that close to one."""
    r, d = math.radians(ra), math.radians(dec)
    pr, pd = math.radians(192.8594812065348), math.radians(27.12825118085622)
    z = math.sin(d) * math.sin(pd) + math.cos(d) * math.cos(pd) * math.cos(r - pr)
    return math.degrees(math.asin(max(-1.0, min(1.0, z))))


def abs_b(c):
    ra, dec = c.get("ra"), c.get("dec")
    return abs(galactic_b(ra, dec)) if num(ra) and num(dec) else None


EG_HOSTS = ("Unknown", "Candidate_SN*", "SN", "Transient", "Fail", "Galaxy", "galaxy", "EmG", "Seyfert",
            "Seyfert_1", "Seyfert_2", "BlueCompG", "StarburstG", "LSB_G", "HII_G", "High_z_G", "GinPair",
            "GinGroup", "BClG", "GinCl", "PartofG")
KN_HOSTS = ("Unknown", "Transient", "Fail", "galaxy", "Galaxy", "EmG", "Seyfert", "Seyfert_1", "Seyfert_2",
            "BlueCompG", "StarburstG", "LSB_G", "HII_G", "High_z_G", "GinPair", "GinGroup", "BClG", "GinCl", "PartofG")
NOT_SIMBAD = ("Unknown", "Candidate_SN*", "SN", "Transient", "Fail", "Fail 504")


def quoted(items):
    return "(" + ", ".join("'%s'" % i for i in items) + ")"


# ---------------------------------------------------------------- definitions, shared by the rules

DEFINITIONS = {
    "positive": "candidate.isdiffpos in ('t', '1')",
    "eg_host": "cdsxmatch in " + quoted(EG_HOSTS),
    "fink_clean": "candidate.drb > 0.5 and candidate.classtar > 0.4",
    "not_ztf_sso": "roid != 3",
    "snn": "snn_snia_vs_nonia > 0.5 or snn_sn_vs_all > 0.5",
    "age": "candidate.jd - candidate.jdstarthist",
    # a detection's jd, null for an upper limit (0 * null is null, and aggregates skip it)
    "first_det": "min(min(prv_candidates, @.jd + 0 * @.magpsf), candidate.jd)",
    "last_det": "max(max(prv_candidates, @.jd + 0 * @.magpsf), candidate.jd)",
    "ndet": "count(prv_candidates, @.magpsf != null) + 1",
    "ps1_star": "candidate.distpsnr1 >= 0 and candidate.distpsnr1 < 1 and candidate.sgscore1 > 0.8",
    "rock": "candidate.ssdistnr >= 0 and candidate.ssdistnr < 12 and candidate.ssmagnr < 20",
    "abs_b": "abs(galactic_b(candidate.ra, candidate.dec))",
}

# ---------------------------------------------------------------- the filters: (name, rule, python)


def ztf_purity(a):
    c = a["candidate"]
    return (cmp(">=", c.get("rb"), 0.65) and cmp("==", c.get("nbad"), 0) and cmp("<=", c.get("fwhm"), 5)
            and cmp("<=", c.get("elong"), 1.2) and num(c.get("magdiff")) and abs(c["magdiff"]) <= 0.1)


def ampel_decent(a):
    c = a["candidate"]
    det = detections(a)
    if det is None or not det:
        return False  # ndet = 1 < 2 (and no time span)
    jds = [p["jd"] for p in det] + [c["jd"]]
    tspan = max(jds) - min(jds)
    ss = c.get("ssdistnr")
    b_ok = not GALACTIC or cmp(">=", abs_b(c), 14)
    return (len(det) + 1 >= 2 and 0 <= tspan <= 5 and positive(c.get("isdiffpos")) and cmp(">=", c.get("rb"), 0.3)
            and cmp("<=", c.get("fwhm"), 5.5) and cmp("<=", c.get("elong"), 1.4)
            and num(c.get("magdiff")) and abs(c["magdiff"]) <= 1.0 and cmp("<=", c.get("nbad"), 2)
            and not (cmp(">=", ss, 0) and cmp("<", ss, 20))
            and not (cmp(">=", c.get("distpsnr1"), 0) and cmp("<", c.get("distpsnr1"), 1)
                     and cmp(">", c.get("sgscore1"), 0.8))
            and b_ok)


def fink_clean(c):
    return cmp(">", c.get("drb"), 0.5) and cmp(">", c.get("classtar"), 0.4)


def fink_kn(a):
    c = a["candidate"]
    return (cmp(">", a.get("rf_kn_vs_nonkn"), 0.5) and fink_clean(c)
            and cmp("<", sub(c.get("jd"), c.get("jdstarthist")), 5) and cmp("<", c.get("ndethist"), 20)
            and cmp("!=", a.get("roid"), 3) and one_of(a.get("cdsxmatch"), EG_HOSTS)
            and (not GALACTIC or cmp(">", abs_b(c), 10)))


def fink_early_kn(a):
    c = a["candidate"]
    return (fink_clean(c) and cmp("<", sub(c.get("jd"), c.get("jdstarthist")), 0.25)
            and cmp("!=", a.get("roid"), 3) and one_of(a.get("cdsxmatch"), KN_HOSTS))


def fink_sn(a):
    c = a["candidate"]
    snn = cmp(">", a.get("snn_snia_vs_nonia"), 0.5) or cmp(">", a.get("snn_sn_vs_all"), 0.5)
    return snn and one_of(a.get("cdsxmatch"), EG_HOSTS) and fink_clean(c)


def fink_early_snia(a):
    c = a["candidate"]
    return fink_sn(a) and cmp("<=", c.get("ndethist"), 20) and cmp(">", a.get("rf_snia_vs_nonia"), 0.5)


def bts(a):
    c = a["candidate"]
    prv = a.get("prv_candidates") if isinstance(a.get("prv_candidates"), list) else []
    jd = c.get("jd")
    bright = cmp("<", c.get("magpsf"), 19) or any(
        positive(p.get("isdiffpos")) and cmp("<", p.get("magpsf"), 19) and cmp("<", abs(jd - p["jd"]), 0.75)
        for p in prv)
    latitude = not GALACTIC or cmp(">=", abs_b(c), 7)
    under_star = cmp(">", c.get("sgscore1"), 0.76) and cmp(">=", c.get("distpsnr1"), 0) and cmp("<", c.get("distpsnr1"), 2)
    real = cmp(">", c.get("rb"), 0.2) and cmp(">=", c.get("drb"), 0.1)
    stationary = any(positive(p.get("isdiffpos")) and cmp(">", sub(jd, p.get("jd")), 0.02)
                     and cmp("<", p.get("magpsf"), 99) for p in prv)
    return (bright and latitude and positive(c.get("isdiffpos")) and not under_star and real and stationary
            and not bts_rock(a))


def bts_rock(a):
    c = a["candidate"]
    return cmp(">=", c.get("ssdistnr"), 0) and cmp("<", c.get("ssdistnr"), 12) and cmp("<", c.get("ssmagnr"), 20)


def bts_brightstar(a):
    c = a["candidate"]
    gaia = (cmp(">", c.get("neargaiabright"), 0) and cmp("<", c.get("neargaiabright"), 20)
            and cmp(">", c.get("maggaiabright"), 0) and cmp("<", c.get("maggaiabright"), 12))
    ps1 = cmp("<", c.get("distpsnr1"), 20) and cmp(">", c.get("sgscore1"), 0.9) and (
        cmp(">", c.get("srmag1"), 0) and cmp("<", c.get("srmag1"), 14)
        or cmp(">", c.get("simag1"), 0) and cmp("<", c.get("simag1"), 14))
    ps1z = cmp("<", c.get("distpsnr1"), 10) and cmp(">", c.get("szmag1"), 0) and cmp("<", c.get("szmag1"), 14) \
        and cmp(">", c.get("sgscore1"), 0.9)
    return gaia or ps1 or ps1z


def lasair_young(a):
    c = a["candidate"]
    det = detections(a)
    if det is None:
        return False
    pos = [p for p in det if positive(p.get("isdiffpos"))]
    jds = [p["jd"] for p in det] + [c["jd"]]
    return (positive(c.get("isdiffpos")) and len(pos) + 1 >= 3 and max(jds) - min(jds) < 10
            and cmp(">=", c.get("rb"), 0.5))


def lasair_brightening(a):
    c = a["candidate"]
    det = detections(a)
    if det is None:
        return False
    same = [p["magpsf"] for p in det if p.get("fid") == c.get("fid")]
    if not same:
        return False
    total = 0
    for m in same:  # from the left, as the rule's sum adds
        total = total + m
    return positive(c.get("isdiffpos")) and cmp("<", c.get("magpsf"), total / len(same) - 1)


def antares_high_snr(a):
    c = a["candidate"]
    s = c.get("sigmapsf")
    return num(s) and s != 0 and 1.0857 / s > 50 and positive(c.get("isdiffpos"))


def ampel_nuclear(a):
    c = a["candidate"]
    det = detections(a)
    if det is None:
        return False
    return (cmp(">=", c.get("distnr"), 0) and cmp("<", c.get("distnr"), 0.5) and cmp("<", c.get("sgscore1"), 0.3)
            and cmp(">=", c.get("rb"), 0.3) and len(det) + 1 >= 3 and positive(c.get("isdiffpos"))
            and cmp("<=", c.get("nbad"), 0))


def galactic_clause(rule, cut):
    return rule + (" and $abs_b " + cut if GALACTIC else "")


def filters():
    """(name, where, python function), in the config's order."""
    return [
        ("ztf_purity", "candidate.rb >= 0.65 and candidate.nbad == 0 and candidate.fwhm <= 5 and "
                       "candidate.elong <= 1.2 and abs(candidate.magdiff) <= 0.1", ztf_purity),
        ("ampel_decent", galactic_clause(
            "$ndet >= 2 and $last_det - $first_det >= 0 and $last_det - $first_det <= 5 and $positive and "
            "candidate.rb >= 0.3 and candidate.fwhm <= 5.5 and candidate.elong <= 1.4 and "
            "abs(candidate.magdiff) <= 1.0 and candidate.nbad <= 2 and "
            "not (candidate.ssdistnr >= 0 and candidate.ssdistnr < 20) and not $ps1_star", ">= 14"), ampel_decent),
        ("fink_kn", galactic_clause("rf_kn_vs_nonkn > 0.5 and $fink_clean and $age < 5 and candidate.ndethist < 20 "
                                    "and $not_ztf_sso and $eg_host", "> 10"), fink_kn),
        ("fink_early_kn", "$fink_clean and $age < 0.25 and $not_ztf_sso and cdsxmatch in " + quoted(KN_HOSTS),
         fink_early_kn),
        ("fink_early_snia", "($snn) and $eg_host and $fink_clean and candidate.ndethist <= 20 and "
                            "rf_snia_vs_nonia > 0.5", fink_early_snia),
        ("fink_sn", "($snn) and $eg_host and $fink_clean", fink_sn),
        ("fink_microlensing", "mulens > 0.0", lambda a: cmp(">", a.get("mulens"), 0.0)),
        ("fink_sso_ztf", "roid == 3", lambda a: cmp("==", a.get("roid"), 3)),
        ("fink_sso_fink", "roid == 2", lambda a: cmp("==", a.get("roid"), 2)),
        ("fink_rrlyr", "cdsxmatch == 'RRLyr'", lambda a: cmp("==", a.get("cdsxmatch"), "RRLyr")),
        ("fink_tracklet", "startswith(tracklet, 'TRCK')",
         lambda a: isinstance(a.get("tracklet"), str) and a["tracklet"].startswith("TRCK")),
        ("fink_quality", "candidate.rb >= 0.55 and candidate.nbad == 0",
         lambda a: cmp(">=", a["candidate"].get("rb"), 0.55) and cmp("==", a["candidate"].get("nbad"), 0)),
        ("fink_simbad", "cdsxmatch != null and cdsxmatch not in " + quoted(NOT_SIMBAD),
         lambda a: a.get("cdsxmatch") is not None and not one_of(a.get("cdsxmatch"), NOT_SIMBAD)),
        ("bts", galactic_clause(
            "(candidate.magpsf < 19 or any(prv_candidates, @.isdiffpos in ('t', '1') and @.magpsf < 19 and "
            "abs(candidate.jd - @.jd) < 0.75)) and $positive and "
            "not (candidate.sgscore1 > 0.76 and candidate.distpsnr1 >= 0 and candidate.distpsnr1 < 2) and "
            "candidate.rb > 0.2 and candidate.drb >= 0.1 and "
            "any(prv_candidates, @.isdiffpos in ('t', '1') and candidate.jd - @.jd > 0.02 and @.magpsf < 99) and "
            "not $rock", ">= 7"), bts),
        ("bts_rock", "$rock", bts_rock),
        ("bts_brightstar",
         "candidate.neargaiabright > 0 and candidate.neargaiabright < 20 and candidate.maggaiabright > 0 and "
         "candidate.maggaiabright < 12 or candidate.distpsnr1 < 20 and candidate.sgscore1 > 0.9 and "
         "(candidate.srmag1 > 0 and candidate.srmag1 < 14 or candidate.simag1 > 0 and candidate.simag1 < 14) or "
         "candidate.distpsnr1 < 10 and candidate.szmag1 > 0 and candidate.szmag1 < 14 and candidate.sgscore1 > 0.9",
         bts_brightstar),
        ("lasair_young", "$positive and count(prv_candidates, @.magpsf != null and @.isdiffpos in ('t', '1')) + 1 >= 3 "
                         "and $last_det - $first_det < 10 and candidate.rb >= 0.5", lasair_young),
        ("lasair_brightening", "$positive and candidate.magpsf < "
                               "mean(prv_candidates, @.magpsf / (@.fid == candidate.fid)) - 1", lasair_brightening),
        ("antares_high_snr", "1.0857 / candidate.sigmapsf > 50 and $positive", antares_high_snr),
        ("ampel_nuclear", "candidate.distnr >= 0 and candidate.distnr < 0.5 and candidate.sgscore1 < 0.3 and "
                          "candidate.rb >= 0.3 and $ndet >= 3 and $positive and candidate.nbad <= 0", ampel_nuclear),
    ]


def inline(where):
    """where with each $name replaced by its definition, parenthesised (for a rule set without definitions)."""
    for name in sorted(DEFINITIONS, key=len, reverse=True):
        if "$" + name in where:
            where = where.replace("$" + name, "(" + inline(DEFINITIONS[name]) + ")")
    return where


def config(use_definitions=True):
    """A config for `alertfilter eval`: each filter a rule writing to a topic of its name."""
    lines = []
    used = [n for n in DEFINITIONS if any("$" + n in w for _, w, _ in filters())]
    if use_definitions:
        lines.append("definitions = {")
        lines += ['  %s = "%s";' % (n, DEFINITIONS[n]) for n in used]
        lines.append("};")
    lines.append("rules = (")
    fs = filters()
    for i, (name, where, _) in enumerate(fs):
        w = where if use_definitions else inline(where)
        lines.append('  { name = "%s"; topic = "%s"; where = "%s"; }%s' % (name, name, w, "," if i + 1 < len(fs) else ""))
    lines.append(");")
    return "\n".join(lines) + "\n"
