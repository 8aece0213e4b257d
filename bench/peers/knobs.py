#!/usr/bin/env python3
"""bench/peers/knobs.py — alertfilter's librdkafka settings side by side on one real Kafka node: the
drain (alerts/s, CPU, peak RSS) and, optionally, the latency at a survey's pace, of each variant of
the config's `kafka` block, taking turns on the same input topic. How alertfilter's consumer and
producer defaults (processor/run_kafka.c) were chosen; not part of `make bench-peers`.

  python3 bench/peers/knobs.py DIR 'NAME=prop=value,prop=value' 'NAME2=' ...

DIR: the cluster's directory (scripts/kafka.sh; stopped at the end). A variant's properties are
added to the `kafka` block (both clients), or, written output:NAME=VALUE, to the `output` block
(transaction_interval_ms, transaction_max_messages, transaction_idle_ms); an empty list is
alertfilter's defaults; the variant named floor is no filter at all (latency only: run.py's
floor). Environment:
KNOBS_ALERTS (100000), KNOBS_ROUNDS (3), KNOBS_RULES (1), KNOBS_FORMAT (python), and run.py's
BENCH_PEERS_BURSTS (0 here: no latency run unless set), _BURST, _GAP."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (bench/peers/run.py)

N = int(os.environ.get("KNOBS_ALERTS", 100000))
ROUNDS = int(os.environ.get("KNOBS_ROUNDS", 3))
RULES = int(os.environ.get("KNOBS_RULES", 1))
FMT = os.environ.get("KNOBS_FORMAT", "python")
run.BURSTS = int(os.environ.get("BENCH_PEERS_BURSTS", 0))


def variant(arg):
    name, _, props = arg.partition("=")
    return name, [p.split("=", 1) for p in props.split(",") if p]


def with_props(props):
    """run.write_cfg, with PROPS added to the `kafka` block."""
    def write_cfg(path, *a):
        run.plain_write_cfg(path, *a)
        text = open(path).read()
        extra = "".join(f' {k.replace(".", "_")} = "{v}";' for k, v in props if not k.startswith("output:"))
        out = "".join(f' {k[7:]} = {v};' for k, v in props if k.startswith("output:"))
        with open(path, "w") as f:
            f.write(text.replace("kafka = {", "kafka = {" + extra, 1).replace("output = {", "output = {" + out, 1))
        return path
    return write_cfg


def verbose_command(*a):
    """run.peer_command with alertfilter's debug log (each transaction's size and time) in DIR."""
    return [x if x != "-q" else "-v" for x in run.plain_peer_command(*a)]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    run.OUT = os.path.abspath(sys.argv[1])
    os.makedirs(run.OUT, exist_ok=True)
    variants = [variant(a) for a in sys.argv[2:]]
    run.plain_write_cfg, run.plain_peer_command = run.write_cfg, run.peer_command
    run.peer_command = verbose_command
    broker = run.Broker()
    try:
        path = run.alerts_file(FMT, N)
        topic = run.unique("in")
        broker.create([topic], run.PARTITIONS)
        run.subprocess.run([run.BIN, "send", "-b", broker.bs, "-t", topic, "-n", str(N), "--seed", "1",
                            "--format", FMT], check=True, timeout=600, capture_output=True)
        expected = run.eval_counts(FMT, RULES, path)
        runs = {name: [] for name, _ in variants}
        for rnd in range(ROUNDS):
            for name, props in variants:
                run.write_cfg = with_props(props)
                try:
                    r = run.throughput_run(broker, "alertfilter", topic, N, FMT, RULES, expected, "k")
                except RuntimeError as e:  # a wrong output is reported, and the comparison goes on
                    print(f"round {rnd + 1} {name}: FAILED: {e}", flush=True)
                    continue
                runs[name].append(r)
                print(f"round {rnd + 1} {name}: {r['rate']:,.0f} alerts/s, {r['cpu100k']:.2f} CPU s/100k, "
                      f"broker {r['broker100k']:.2f}, peak RSS {r['rss_kib'] / 1024:.0f} MiB", flush=True)
        base = max([r["rate"] for r in runs[variants[0][0]]] or [1])
        for name, _ in variants:
            rs = runs[name]
            if not rs:
                continue
            best = max(r["rate"] for r in rs)
            print(f"{name}: best {best:,.0f} alerts/s ({best / base:.2f}x {variants[0][0]}'s), "
                  f"median {sorted(r['rate'] for r in rs)[len(rs) // 2]:,.0f}, peak RSS MiB "
                  f"{', '.join('%.0f' % (r['rss_kib'] / 1024) for r in rs)}", flush=True)
        if run.BURSTS > 0:
            with open(path, "rb") as f:
                lines = [f.readline().rstrip(b"\n") for _ in range(run.BURST)]
            for name, props in variants:
                run.write_cfg = with_props(props)
                r = run.latency_run(broker, "floor" if name.startswith("floor") else "alertfilter", FMT, lines)
                print(f"latency {name}: p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms,"
                      f" peak RSS {r['rss_kib'] / 1024:.0f} MiB", flush=True)
    finally:
        broker.cluster.stop()


if __name__ == "__main__":
    main()
