"""tests/kafka/test_fencing.py — scenario 4 of the real-broker suite: a replica SIGSTOPped inside a
transaction until its partitions have moved to the other replica (session timeout) and its
transaction has been aborted by the broker (transaction timeout), then SIGCONTed: its commit is
fenced, it stops with a fatal error and a non-zero exit (for a supervisor to restart), and a
read_committed reader sees each selected alert exactly once.

Stopped for less than transaction.timeout.ms, a zombie is not fatal, and that is correct: its
transaction is still its own to abort; on waking it finds its group session gone, its partitions
lost, aborts, rejoins and goes on (seen here with a 7 s stop and an 8 s timeout). Had it tried to
commit first, the broker would have refused its offsets for the old group generation (KIP-447,
ILLEGAL_GENERATION), an abortable error: no duplicate either way.

The mock cluster fences no zombie: its transactions never time out and it does not check the group
generation sent with the offsets (KIP-447). Kafka is right where they differ."""
import os
import signal
import time

import pytest

from replicas import Cluster, Feeder, Replicas, end_offsets, tally, wait_output, write_config

N = 12000
RATE = 400        # slow enough that the stream outlasts the stop; every batch is a transaction
PARTITIONS = 4


@pytest.mark.timeout(180)
def test_zombie_is_fenced(tmp_path):
    binary = os.environ["ALERTFILTER_BIN"]
    k = Cluster(str(tmp_path / "kafka"))
    reps = None
    try:
        k.topic("in", PARTITIONS)
        k.topic("out", PARTITIONS)
        cfg = write_config(str(tmp_path / "run.cfg"), k.bootstrap, "in", "out", "fencing",
                           kafka={"transaction.timeout.ms": 6000})
        reps = Replicas(binary, cfg, str(tmp_path))
        zombie, other = reps.start(), reps.start()
        feed = Feeder(k.bootstrap, "in", N, RATE)
        feed.start()
        # Both replicas own partitions and commit transactions before the stop.
        deadline = time.monotonic() + 60
        while not all(r.count("batch committed") >= 3 for r in (zombie, other)):
            assert time.monotonic() < deadline, "the replicas did not both commit within 60 s"
            time.sleep(0.2)
        zombie.signal(signal.SIGSTOP)
        # Stopped until the other replica commits a batch from every input partition: the
        # zombie's partitions have moved (session timeout).
        def commits():
            return [line for line in other.text().splitlines() if 'msg="batch committed"' in line]

        before = len(commits())
        deadline = time.monotonic() + 90
        while not any(f"partitions={PARTITIONS} " in line for line in commits()[before:]):
            assert time.monotonic() < deadline, "the other replica did not take over within 90 s"
            assert other.proc.poll() is None, f"the other replica exited: {other.text()[-2000:]}"
            time.sleep(0.5)
        # And until every transaction open at that point, the zombie's too, has ended: only the
        # broker can end the zombie's, after transaction.timeout.ms (bumping its epoch).
        written = end_offsets(k.bootstrap, "out", PARTITIONS, committed=False)
        while any(s < w for s, w in zip(end_offsets(k.bootstrap, "out", PARTITIONS, committed=True), written)):
            assert time.monotonic() < deadline, "the zombie's transaction was not aborted within 90 s"
            time.sleep(0.5)
        zombie.signal(signal.SIGCONT)
        status = zombie.wait(30)
        log = zombie.text()
        assert status == 1, f"zombie exit status {status}: {log[-2000:]}"
        fenced = [line for line in log.splitlines() if "level=error" in line and "fenced" in line
                  and ('msg="fatal transaction error"' in line or 'msg="fatal Kafka error"' in line)]
        assert fenced, f"no fatal 'fenced' error logged by the zombie: {log[-2000:]}"
        assert log.splitlines()[-1].endswith("level=error msg=stopped status=1"), log[-500:]
        print(f"fencing: the zombie stopped (status 1) with: {fenced[0]}")
        feed.done(60)
        recs = wait_output(k.bootstrap, "out", PARTITIONS, N, 90, alive=(other,))
        assert other.stop() == 0, f"the other replica did not stop cleanly: {other.text()[-2000:]}"
        lost, dups = tally(recs, N)
        print(f"fencing: lost {lost}, duplicates {dups}, re-fetched and dropped by the guard {reps.refetched()}")
        assert (lost, dups) == (0, 0)
    finally:
        if reps:
            reps.close()
        k.stop()
