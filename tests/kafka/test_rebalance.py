"""tests/kafka/test_rebalance.py — scenario 3 of the real-broker suite: three `run` replicas in one
group on 12 partitions, replicas SIGKILLed, added and stopped while the stream runs; a read_committed
reader must see each selected alert exactly once. Also counts the records that librdkafka 2.0.2
fetched a second time after a cooperative rebalance (#4637) and that the guard dropped.

On the mock cluster this cannot be shown: it keeps no transactional offsets (a new owner of a
partition resumes from offsets committed outside any transaction) and shows aborted records to
read_committed readers. Kafka is right where they differ."""
import os
import signal
import time

import pytest

from replicas import Cluster, Feeder, Replicas, in_order, tally, wait_output, write_config

N = 24000       # alerts, produced over about 20 s while replicas come and go
RATE = 1200     # alerts per second
PARTITIONS = 12


@pytest.mark.timeout(240)
def test_rebalances_lose_and_duplicate_nothing(tmp_path):
    binary = os.environ["ALERTFILTER_BIN"]
    k = Cluster(str(tmp_path / "kafka"))
    reps = None
    try:
        k.topic("in", PARTITIONS)
        k.topic("out", PARTITIONS)
        cfg = write_config(str(tmp_path / "run.cfg"), k.bootstrap, "in", "out", "rebalance")
        reps = Replicas(binary, cfg, str(tmp_path))
        r1, r2, r3 = reps.start(), reps.start(), reps.start()
        feed = Feeder(k.bootstrap, "in", N, RATE)
        feed.start()
        t0 = time.monotonic()

        def at(s):
            time.sleep(max(0, t0 + s - time.monotonic()))

        at(4)
        assert r1.kill() == -signal.SIGKILL
        at(6)
        r4 = reps.start()
        at(9)
        assert r2.stop() == 0, f"replica2 did not stop cleanly: {r2.text()[-2000:]}"
        at(11)
        r5 = reps.start()
        at(14)
        assert r3.kill() == -signal.SIGKILL
        at(16)
        r6 = reps.start()
        feed.done(60)
        recs = wait_output(k.bootstrap, "out", PARTITIONS, N, 120, alive=(r4, r5, r6))
        for r in (r4, r5, r6):
            assert r.stop() == 0, f"{r.name} did not stop cleanly: {r.text()[-2000:]}"
        lost, dups = tally(recs, N)
        refetched = reps.refetched()
        print(f"rebalance: {len(recs)} records, lost {lost}, duplicates {dups}, "
              f"re-fetched and dropped by the guard {refetched}, {time.monotonic() - t0:.1f} s")
        assert (lost, dups) == (0, 0)
        assert in_order(recs), "alerts of one input partition out of their input order"
    finally:
        if reps:
            reps.close()
        k.stop()
