"""tests/kafka/test_rebalance.py — scenario 3 of issue 12 on a real Kafka: `run` replicas in one
group on 12 partitions, SIGKILLed, added and stopped while the stream runs; a read_committed reader
sees each alert that eval selects exactly once, in input order per input partition.

Debian's librdkafka 2.0.2 can fetch a partition again from an older offset after a cooperative
rebalance (confluentinc/librdkafka #4637, fixed in 2.4.0): without the guard of
processor/run_positions.c this scenario committed duplicates in 2 of 8 runs (176 and 458, input
partitions read again from offset 0). The guard's drops are counted and printed.

The mock cluster cannot show this: it keeps no transactional offsets (a partition's new owner does
not resume where the old one committed) and shows aborted records to read_committed readers.
Where the two disagree, Kafka is right."""
import signal
import time

import harness
from harness import unique
from replicas import Feeder, Replicas, config, expected, final_counts, wait_output, stop

ALERTS = 24_000   # produced over 20 s while replicas come and go
RATE = 1200
PARTITIONS = 12


def test_rebalances_lose_and_repeat_nothing(kafka1, tmp_path):
    b = kafka1.bootstrap
    src, out = kafka1.create_topic(unique("rebal-in"), PARTITIONS), kafka1.create_topic(unique("rebal-out"), PARTITIONS)
    cfg = config(tmp_path / "run.cfg", b, src, out, unique("rebal"))
    want = expected(cfg, ALERTS, tmp_path)[out]
    reps = Replicas(cfg, tmp_path)
    feed = Feeder(b, src, ALERTS, RATE)
    t0 = time.monotonic()

    def at(s):
        time.sleep(max(0.0, t0 + s - time.monotonic()))

    # The first replica takes every partition and is in the middle of its transactions when the
    # other two join: it must give up partitions with a batch open.
    r1 = reps.start()
    feed.start()
    at(2)
    r2, r3 = reps.start(), reps.start()
    at(6)
    r1.kill()
    at(8)
    r4 = reps.start()
    at(11)
    stop(r2)
    at(13)
    r5 = reps.start()
    at(16)
    r3.kill()
    at(18)
    r6 = reps.start()
    feed.done(60)
    wait_output(b, out, sum(want.values()), 120, alive=(r4, r5, r6))
    for r in (r4, r5, r6):
        stop(r)
    recs, (read, lost, dups, unexpected) = final_counts(b, out, want)
    print(f"rebalance: {read} records read_committed, lost {lost}, duplicates {dups}, unexpected {unexpected}; "
          f"records fetched again and dropped by the guard: {reps.refetched()}; {time.monotonic() - t0:.1f} s")
    assert (read, lost, dups, unexpected) == (sum(want.values()), 0, 0, 0)
    assert harness.order_violations(recs) == []
    assert [r1.proc.returncode, r3.proc.returncode] == [-signal.SIGKILL] * 2
