"""bench/peers/peers_report.py — the table and bench/peers.svg of `make bench-peers` from its results
(bench/out/peers/peers.json; `python3 bench/peers/peers_report.py` redraws them from that file)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SVG = os.path.join(os.path.dirname(HERE), "peers.svg")
NAMES = {"floor": "no filter: producer → input → reader (the measurement's floor)",
         "alertfilter": "alertfilter run, exactly_once", "streams": "Kafka Streams, exactly_once_v2",
         "python": "seed's method, transactional Python loop", "copy": "kcat -C \\| kcat -P copy (no EOS)",
         "read": "floor: kcat -C alone, reading the input", "write": "floor: kcat -P alone, writing the output (no EOS)"}
CHART = ("alertfilter", "streams", "python", "copy")  # the peers; ORDER adds the floors
ORDER = CHART + ("read", "write")


def ratio(a, b):
    return a / b if a and b else float("nan")


def table(res):
    lines = [f"alertfilter bench-peers — {res['date']}, one Apache Kafka node (scripts/kafka.sh), "
             f"{res['alerts']:,} alerts on 12 partitions (the Python loop: the first {res['python_alerts']:,}), "
             f"best of {res['rounds']} rounds (Kafka Streams and the Python loop: {res.get('slow_rounds', 1)}); load average {res['load']:.0f}",
             "",
             "| input / rules | peer | alerts/s (wall) | CPU s / 100k alerts | alerts per CPU s | broker CPU s / 100k | peak RSS MiB |",
             "|---|---|---|---|---|---|---|"]
    for key, best in res["throughput"].items():
        for p in ORDER:
            if p in best:
                r = best[p]
                lines.append(f"| {key} | {NAMES[p]} | {r['rate']:,.0f} | {r['cpu100k']:.1f} | "
                             f"{100000 / r['cpu100k'] if r['cpu100k'] else float('nan'):,.0f} | "
                             f"{r['broker100k']:.1f} | {r['rss_kib'] / 1024:,.0f} |")
    lines += ["", "| input / rules | alertfilter per CPU s ÷ Kafka Streams' (≥ 5×) | ÷ Python loop's (≥ 100×) "
              "| wall rate ÷ copy's (≥ 1.0×) | RSS ÷ Kafka Streams' (≤ 0.25) |", "|---|---|---|---|---|"]
    copy = res["throughput"].get("python/1", {}).get("copy"), res["throughput"].get("json/1", {}).get("copy")
    for key, best in res["throughput"].items():
        a = best.get("alertfilter")
        if not a:
            continue
        s, py = best.get("streams"), best.get("python")
        c = best.get("copy") or (copy[0] if key.startswith("python") else copy[1])
        f = lambda v, t, up=True: "-" if v != v else f"**{v:.{2 if up else 3}f}×** ({'met' if (v >= t if up else v <= t) else 'MISSED'})"  # noqa: E731
        lines.append(f"| {key} | {f(ratio(s and s['cpu100k'], a['cpu100k']), 5)} | "
                     f"{f(ratio(py and py['cpu100k'], a['cpu100k']), 100)} | {f(ratio(a['rate'], c and c['rate']), 1)} | "
                     f"{f(ratio(a['rss_kib'], s and s['rss_kib']), 0.25, False)} |")
    lines += bounds(res)
    if res["latency"]:
        lines += ["", "| latency (catch-all rule, Python-literal alerts, production → visible read_committed) "
                  "| p50 ms | p99 ms | max ms | samples | peak RSS MiB |", "|---|---|---|---|---|---|"]
        for p in ("floor",) + ORDER:
            if p in res["latency"]:
                r = res["latency"][p]
                lines.append(f"| {NAMES[p]} | {r['p50_ms']:,.0f} | {r['p99_ms']:,.0f} | {r['max_ms']:,.0f} | "
                             f"{r['samples']:,} | {r['rss_kib'] / 1024:,.0f} |".replace("| 0 |", "| - |"))
        a = res["latency"].get("alertfilter")
        if a:
            fl = res["latency"].get("floor")
            lines.append(f"\ntarget: alertfilter p99 ≤ 250 ms: {a['p99_ms']:.0f} ms "
                         f"({'met' if a['p99_ms'] <= 250 else 'MISSED'})"
                         + (f"; with no filter at all the same measurement reads p99 {fl['p99_ms']:.0f} ms" if fl else ""))
    return "\n".join(lines)


def fmt_rate(r):
    return f"{r['rate']:,.0f}" if r else "-"


def bounds(res):
    """What the floors leave: 100x the Python loop's CPU against what kcat alone spends moving the
    records (reading the input; with 100 rules, writing the output too), and the copy's rate against
    the rate at which kcat alone writes the output."""
    thr = res["throughput"]
    out = ["", "| input / rules | 100× the Python loop leaves, CPU s / 100k | kcat alone reading the input "
           "(+ writing the output), CPU s / 100k | alertfilter, CPU s / 100k | the copy, alerts/s | kcat alone "
           "writing the output, alerts/s |", "|---|---|---|---|---|---|"]
    for key, best in thr.items():
        a, py = best.get("alertfilter"), best.get("python")
        fmt = key.split("/")[0]
        rd, wr, c = thr.get(f"{fmt}/1", {}).get("read"), best.get("write"), thr.get(f"{fmt}/1", {}).get("copy")
        if not (a and py and rd):
            continue
        floor = f"{rd['cpu100k']:.2f}" + (f" + {wr['cpu100k']:.2f}" if wr else "")
        out.append(f"| {key} | {py['cpu100k'] / 100:.3f} | {floor} | {a['cpu100k']:.2f} | "
                   f"{fmt_rate(c)} | {fmt_rate(wr)} |")
    return out if len(out) > 3 else []


def sname(p):
    return NAMES[p].replace("\\", "")  # no markdown escapes in the picture


def svg(res):
    """Two bar charts: alerts per CPU second (log scale) per peer and case; latency p50/p99 per peer."""
    import math
    colors = {"alertfilter": "#1b7837", "streams": "#2166ac", "python": "#b2182b", "copy": "#888888"}
    W, H = 900, 430
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="20" font-size="15" font-weight="bold">alertfilter and its peers on one real Kafka node '
           f'({res["date"]})</text>']
    # left: alerts per CPU second, log scale
    x0, y0, w, h = 60, 60, 480, 300
    out.append(f'<text x="{x0}" y="{y0 - 12}" font-weight="bold">alerts per CPU second of the filter (log scale)</text>')
    cases = list(res["throughput"])
    vals = [100000 / r["cpu100k"] for b in res["throughput"].values() for p, r in b.items() if p in CHART and r["cpu100k"] > 0]
    lo, hi = 10 ** math.floor(math.log10(min(vals))), 10 ** math.ceil(math.log10(max(vals)))
    ly = lambda v: y0 + h - h * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))  # noqa: E731
    d = lo
    while d <= hi:
        out.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{ly(d):.1f}" y2="{ly(d):.1f}" stroke="#ddd"/>'
                   f'<text x="{x0 - 5}" y="{ly(d) + 4:.1f}" text-anchor="end">{d:,.0f}</text>')
        d *= 10
    gw = w / max(1, len(cases))
    for ci, case in enumerate(cases):
        peers = [p for p in CHART if p in res["throughput"][case]]
        bw = (gw - 16) / max(1, len(peers))
        for pi, p in enumerate(peers):
            v = 100000 / res["throughput"][case][p]["cpu100k"]
            x = x0 + ci * gw + 8 + pi * bw
            out.append(f'<rect x="{x:.1f}" y="{ly(v):.1f}" width="{bw - 2:.1f}" height="{y0 + h - ly(v):.1f}" '
                       f'fill="{colors[p]}"><title>{sname(p)} {case}: {v:,.0f} alerts/CPU s</title></rect>')
        out.append(f'<text x="{x0 + ci * gw + gw / 2:.1f}" y="{y0 + h + 16}" text-anchor="middle">{case}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 32}" text-anchor="middle">input format / rules</text>')
    # right: latency
    x1, w1 = 610, 260
    out.append(f'<text x="{x1}" y="{y0 - 12}" font-weight="bold">latency, bursts of alerts (log ms)</text>')
    lat = res["latency"]
    if lat:
        lv = [r[k] for r in lat.values() for k in ("p50_ms", "max_ms")]
        llo, lhi = 10 ** math.floor(math.log10(max(0.1, min(lv)))), 10 ** math.ceil(math.log10(max(lv)))
        lyy = lambda v: y0 + h - h * (math.log10(max(v, llo)) - math.log10(llo)) / (math.log10(lhi) - math.log10(llo))  # noqa: E731
        d = llo
        while d <= lhi:
            out.append(f'<line x1="{x1}" x2="{x1 + w1}" y1="{lyy(d):.1f}" y2="{lyy(d):.1f}" stroke="#ddd"/>'
                       f'<text x="{x1 - 5}" y="{lyy(d) + 4:.1f}" text-anchor="end">{d:,g}</text>')
            d *= 10
        peers = [p for p in CHART if p in lat]
        bw = w1 / len(peers)
        for pi, p in enumerate(peers):
            r = lat[p]
            x = x1 + pi * bw + 6
            for j, (k, op) in enumerate((("p50_ms", 1.0), ("p99_ms", 0.55))):
                out.append(f'<rect x="{x + j * (bw - 12) / 2:.1f}" y="{lyy(r[k]):.1f}" width="{(bw - 12) / 2 - 2:.1f}" '
                           f'height="{y0 + h - lyy(r[k]):.1f}" fill="{colors[p]}" fill-opacity="{op}">'
                           f'<title>{sname(p)} {k[:3]}: {r[k]:,.0f} ms</title></rect>')
            out.append(f'<text x="{x + (bw - 12) / 2:.1f}" y="{y0 + h + 16}" text-anchor="middle">{p}</text>')
        out.append(f'<text x="{x1 + w1 / 2}" y="{y0 + h + 32}" text-anchor="middle">p50 (solid), p99 (pale)</text>')
    # legend
    for i, p in enumerate(CHART):
        out.append(f'<rect x="{60 + i * 210}" y="{H - 22}" width="12" height="12" fill="{colors[p]}"/>'
                   f'<text x="{76 + i * 210}" y="{H - 12}">{sname(p)}</text>')
    out.append("</svg>")
    with open(SVG, "w") as f:
        f.write("\n".join(out) + "\n")


def main(res):
    print(table(res))
    svg(res)
    print(f"\nwrote {os.path.relpath(SVG)}")


if __name__ == "__main__":
    with open(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(HERE), "out", "peers", "peers.json")) as f:
        main(json.load(f))
