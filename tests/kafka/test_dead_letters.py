"""tests/kafka/test_dead_letters.py — scenario 6 of issue 12 on a real Kafka: dead letters are
written inside the run's transactions. Dead letters of a transaction that is aborted (its process
killed) never reach a read_committed reader of the dead-letter topic; after recovery each malformed
input is there exactly once. Malformed input that an upstream producer aborted is never read at all.

The mock cluster shows the records of aborted transactions to every reader (tests/processor's
dead-letter checks can only count what was committed last); Kafka hides them, and Kafka is right."""
import collections
import time

import harness
from harness import unique

ALERTS = 2_000
MALFORMED = [b"this is not an alert", b"{'alertId': 1, 'diaSource': {'ra': 351.2", b"{'alertId': 2, 'snr': nan}",
             b"[1, 2, 3", b"{'alertId': }"]
IN_COMMITTED_TXN = [b"committed upstream, not an alert %d" % i for i in range(3)]
IN_ABORTED_TXN = [b"aborted upstream, not an alert %d" % i for i in range(4)]


def test_dead_letters_of_an_aborted_transaction_are_never_read(kafka1, tmp_path):
    b = kafka1.bootstrap
    src = kafka1.create_topic(unique("dlq-in"), 2)
    out = kafka1.create_topic(unique("dlq-ra350"), 2)
    dlq = kafka1.create_topic(unique("dlq"), 1)
    group = unique("dlq")
    rules = [("seed_ra", out, "diaSource.ra > 350")]

    harness.send(b, src, ALERTS)
    # Plain records last: a partition that ends with a transaction marker is never "caught up" by
    # a librdkafka consumer's commit (it commits the offset after the last record it returned).
    harness.produce_raw(b, src, IN_ABORTED_TXN, partition=1, transaction="abort")
    harness.produce_raw(b, src, IN_COMMITTED_TXN, partition=0, transaction="commit")
    harness.produce_raw(b, src, MALFORMED[:3], partition=0)
    harness.produce_raw(b, src, MALFORMED[3:], partition=1)
    dead = MALFORMED + IN_COMMITTED_TXN
    inputs = harness.read_topic(b, src)
    assert len(inputs) == ALERTS + len(dead)

    # First run: one long transaction (60 s, no message limit, not ended when the input is idle)
    # holds every dead letter; it is killed once they are all in the log, so the broker aborts that
    # transaction (timeout 15 s).
    cfg1 = harness.write_config(tmp_path / "run-1.cfg", b, [src], group, rules, dead_letter_topic=dlq,
                                output={"transaction_interval_ms": 60000, "transaction_max_messages": 1000000,
                                        "transaction_idle_ms": 0},
                                output_kafka={"transaction_timeout_ms": 15000})
    p = harness.Processor(cfg1, tmp_path / "run-1.log")
    harness.wait_for("the first run's dead letters in the log (uncommitted)",
                     lambda: p.check_alive() or sum(harness.end_offsets(b, dlq).values()) >= len(dead), 60)
    time.sleep(0.5)  # any more would show in the counts below
    assert harness.read_topic(b, dlq, final=False) == [], "read_committed sees dead letters of an open transaction"
    p.kill()
    assert harness.read_topic(b, dlq, timeout=60) == [], "read_committed sees dead letters of an aborted transaction"
    aborted = harness.read_topic(b, dlq, isolation="read_uncommitted")
    assert sorted(r.value for r in aborted) == sorted(dead)  # they were written, then aborted

    # Recovery: a normal run reads everything again, from the offsets that were never committed.
    cfg2 = harness.write_config(tmp_path / "run-2.cfg", b, [src], group, rules, dead_letter_topic=dlq)
    p = harness.Processor(cfg2, tmp_path / "run-2.log")
    harness.wait_committed(b, group, src, 120, p.check_alive)
    assert p.stop() == 0

    letters = harness.read_topic(b, dlq)
    assert collections.Counter(r.value for r in letters) == collections.Counter(dead)
    assert not set(IN_ABORTED_TXN) & {r.value for r in letters}
    # Each dead letter names its input, and the reason.
    by_source = {(src, r.partition, r.offset): r.value for r in inputs}
    assert [by_source.get(r.source()) for r in letters] == [r.value for r in letters]
    assert all(r.headers.get("alertfilter-error") for r in letters)
    assert len(harness.read_topic(b, dlq, isolation="read_uncommitted")) == 2 * len(dead)

    expected = harness.eval_selection(cfg2, [r.value for r in inputs], tmp_path)
    outputs = harness.read_topic(b, out)
    n = sum(expected[out].values())
    assert n > 0
    assert harness.check_exact({out: outputs}, expected) == {out: (n, 0, 0, 0)}
    print(f"dead letters: {len(dead)} committed once each, {len(aborted)} aborted hidden, "
          f"{len(IN_ABORTED_TXN)} aborted upstream never read; {out}: {n} as eval selects")
