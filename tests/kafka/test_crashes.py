"""tests/kafka/test_crashes.py — scenario 1 of issue 12 on a real Kafka: the processor SIGKILLed at
random moments and restarted, exactly_once; a read_committed reader sees each selected alert once,
in input order per input partition.

The mock cluster (tests/processor/test_kafka_restart.c) cannot show this: it keeps no transactional
offsets and shows aborted records to every reader. Where the two disagree, Kafka is right.

The last kill's transaction stays open until the broker aborts it (10 s here, and its abort sweep
runs every second), possibly after the final run has drained the stream: the reads below wait for it
(harness.read_topic reads to the high watermark, not to the last stable offset; see
test_harness.py for what reading to the latter once made of this test)."""
import collections
import random
import time

import harness
from harness import unique

ALERTS = 50_000
INPUT_PARTITIONS = 8
KILLS = 7
RULES = [("seed_ra", "diaSource.ra > 350"),
         ("filter001", "diaSource.snr > 5 and diaSource.psFlux > 0.00003631"),
         ("first_detection", "len(prv_diaSources) == 0")]


def test_sigkills_lose_and_repeat_nothing(kafka1, tmp_path):
    b = kafka1.bootstrap
    rng = random.Random(harness.RNG.random())
    print(f"KAFKA_TEST_SEED={harness.SEED}")
    src = kafka1.create_topic(unique("crash-in"), INPUT_PARTITIONS)
    # Fewer output partitions than input ones: several input partitions meet in one output partition.
    rules = [(n, kafka1.create_topic(unique(f"crash-{n}"), 3), w) for n, w in RULES]
    group = unique("crash")
    # Transactions of at most 200 alerts (the default is 10,000): more of them, so that the
    # stream lasts through every kill and more kills land inside one. With 1,000 an idle machine
    # drained the 50,000 alerts before the fifth kill (a CI run of 2026-12-07: kills at 14000,
    # 20000, 27000, then the end).
    cfg = harness.write_config(tmp_path / "run.cfg", b, [src], group, [(n, t, w) for n, t, w in rules],
                               output={"transaction_max_messages": 200})
    harness.send(b, src, ALERTS)
    inputs = harness.read_topic(b, src)
    assert len(inputs) == ALERTS

    # Each process is killed at a random moment: the first while it starts or runs its first
    # transactions, the others once the group's committed offsets pass a random point of the
    # stream (and one transaction of theirs committed), so that every kill lands mid-stream.
    watch = harness.GroupWatch(b, group, src)

    def settled():
        t = watch.total()
        return None if t is None else [t]
    kills = []
    for i in range(KILLS):
        if kills and kills[-1] >= ALERTS:
            break  # drained: no moment left to kill at
        p = harness.Processor(cfg, tmp_path / f"run-{i}.log")
        if i == 0:
            time.sleep(rng.uniform(0.2, 1.5))
        else:
            target = max(targets[i - 1], kills[-1] + 1)
            harness.wait_for(f"run {i} to commit past input offset {target}",
                             lambda: not p.alive() or (watch.total() or 0) >= target, 120, interval=0.02)
        p.check_alive()
        p.kill()
        # Readable once the killed process's open transaction, if any, is aborted (its timeout).
        kills.append(harness.wait_for("the committed offsets", settled, 60)[0])
        if i == 0:
            targets = sorted(rng.sample(range(kills[0] + 500, ALERTS * 3 // 4), KILLS - 1))
    watch.close()
    # A run may drain the stream before its kill on a busy machine: at least 5 must land mid-stream.
    assert sum(k < ALERTS for k in kills) >= 5, f"fewer than 5 kills landed mid-stream: {kills}"

    final = harness.Processor(cfg, tmp_path / "run-final.log")

    harness.wait_committed(b, group, src, 300, final.check_alive)
    assert final.stop() == 0

    outputs = {t: harness.read_topic(b, t) for _, t, _ in rules}
    expected = harness.eval_selection(cfg, [r.value for r in inputs], tmp_path)
    report = harness.check_exact(outputs, expected)
    raw = {t: len(harness.read_topic(b, t, isolation="read_uncommitted")) for _, t, _ in rules}
    print(f"committed input offsets at each kill: {kills}")
    for n, t, _ in rules:
        read, lost, dups, unexpected = report[t]
        print(f"{n}: eval {sum(expected[t].values())}, read_committed {read}, lost {lost}, duplicates {dups}, "
              f"unexpected {unexpected}; {raw[t] - read} aborted records in the log")
    for n, t, _ in rules:
        assert sum(expected[t].values()) > 0, f"rule {n} selects nothing: the test would show nothing"
        assert report[t] == (sum(expected[t].values()), 0, 0, 0), f"rule {n}: (read, lost, duplicates, unexpected)"
        assert harness.order_violations(outputs[t]) == [], f"rule {n}: input order broken"
        # Each record names its input, and its input is the alert it carries (the key is the alertId).
        by_source = {(src, r.partition, r.offset): r.key for r in inputs}
        wrong = [r for r in outputs[t] if by_source.get(r.source()) != r.key]
        assert wrong == [], f"rule {n}: {len(wrong)} records whose source header names another alert"
    counts = collections.Counter(r.source() for t in outputs for r in outputs[t])
    assert max(counts.values()) <= len(rules)
