#!/usr/bin/env python3
"""bench/peers/write_floor.py — what writing the 100-rule output alone takes on one real Kafka node,
by how it is written: the records `alertfilter eval` selects from `make bench-peers`' 100,000 alerts
(no reading, no parsing), produced by one confluent-kafka producer into one 12-partition topic or
into the rule set's own topics (one partition each, as bench-peers makes them), plainly or in
transactions ended every 100 ms (as `run`'s transaction_interval_ms). Each variant in turn, every
round; the rate is in input alerts per second, to set beside bench-peers' copy. Why `run` with 100
rules writes at about half the copy's rate (issue 17); not part of `make bench-peers`.

  python3 bench/peers/write_floor.py DIR

DIR: the cluster's directory (scripts/kafka.sh; stopped at the end). Environment: KNOBS_ALERTS
(100000), KNOBS_ROUNDS (3), KNOBS_RULES (100), KNOBS_FORMAT (python)."""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/peers/run.py)
from confluent_kafka import Producer  # noqa: E402
from knobs import FMT, N, ROUNDS  # noqa: E402  (the same environment)

RULES = int(os.environ.get("KNOBS_RULES", 100))
TXN_SECONDS = 0.1
# variant: (into the rules' own topics rather than one 12-partition topic, in transactions)
VARIANTS = {"one topic, plain": (False, False), "one topic, transactions": (False, True),
            "rule topics, plain": (True, False), "rule topics, transactions": (True, True)}


def write(bs, records, topic_of, transactional):
    """Produces RECORDS ((topic, value) pairs) to topic_of(topic); returns the seconds it took, the
    last delivery or commit included."""
    conf = {"bootstrap.servers": bs, "linger.ms": 5, "queue.buffering.max.kbytes": 32768, **run.QUIET}
    if transactional:
        conf["transactional.id"] = run.unique("wf-txn")
    p = Producer(conf)
    if transactional:
        p.init_transactions(60)
        p.begin_transaction()
    t0 = t_txn = time.monotonic()
    for topic, value in records:
        while True:
            try:
                p.produce(topic_of(topic), value)
                break
            except BufferError:
                p.poll(0.01)
        if transactional and time.monotonic() - t_txn >= TXN_SECONDS:
            p.commit_transaction(60)
            p.begin_transaction()
            t_txn = time.monotonic()
    if transactional:
        p.commit_transaction(60)
    elif p.flush(60):
        raise RuntimeError("records left unsent after 60 s")
    return time.monotonic() - t0


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run.OUT = os.path.abspath(sys.argv[1])
    os.makedirs(run.OUT, exist_ok=True)
    broker = run.Broker()
    try:
        out = os.path.join(run.OUT, "records.txt")
        run.eval_counts(FMT, RULES, run.alerts_file(FMT, N), out)
        with open(out, "rb") as f:
            records = [(t.decode(), v) for t, v in (line.rstrip(b"\n").split(b"\t", 1) for line in f)]
        os.unlink(out)
        rule_topics = sorted({t for t, _ in records})
        print(f"{len(records):,} records of {N:,} alerts, {sum(len(v) for _, v in records) / 1e6:,.0f} MB, "
              f"{len(rule_topics)} topics", flush=True)
        rates = collections.defaultdict(list)
        for rnd in range(ROUNDS):
            for name, (own, txn) in VARIANTS.items():
                prefix = run.unique("wf") + "-"
                topics = [prefix + t for t in rule_topics] if own else [prefix + "one"]
                broker.create(topics, 1 if own else run.PARTITIONS)
                secs = write(broker.bs, records, (lambda t: prefix + t) if own else (lambda t: prefix + "one"), txn)
                got = run.count_topics(broker.bs, topics)
                if sum(got.values()) != len(records):
                    raise RuntimeError(f"{name}: {sum(got.values())} records read back, {len(records)} written")
                broker.delete(topics)
                rates[name].append(N / secs)
                print(f"round {rnd + 1} {name}: {secs:.2f} s, {N / secs:,.0f} alerts/s", flush=True)
        for name in VARIANTS:
            print(f"{name}: best {max(rates[name]):,.0f} alerts/s, median "
                  f"{sorted(rates[name])[len(rates[name]) // 2]:,.0f}", flush=True)
    finally:
        broker.cluster.stop()


if __name__ == "__main__":
    main()
