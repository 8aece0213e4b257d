"""tests/kafka/test_chaining.py — scenario 7 of the real-broker suite: `at_least_once` from one Kafka
cluster to a second, separate one (output.kafka names the downstream cluster; a transaction cannot
span two clusters). The replica is SIGKILLed mid-stream and restarted: nothing is lost; what the
restart writes again (records produced after the last offset commit) is counted, reported, and
bounded by one batch per input partition.

The mock cluster cannot show this: alertfilter's mock-broker and the test harness run one cluster
per process, so both ends were the same cluster there. Kafka is right where they differ."""
import os
import signal
import time

import pytest

from replicas import Cluster, Feeder, Replicas, tally, wait_output, write_config

N = 16000
RATE = 1600
PARTITIONS = 8
BATCH = 200  # transaction_max_messages: the records between two offset commits


@pytest.mark.timeout(240)
def test_chain_to_a_second_cluster_loses_nothing(tmp_path):
    binary = os.environ["ALERTFILTER_BIN"]
    up = Cluster(str(tmp_path / "upstream"))
    down = None
    reps = None
    try:
        down = Cluster(str(tmp_path / "downstream"))
        up.topic("in", PARTITIONS)
        down.topic("out", PARTITIONS)
        cfg = write_config(str(tmp_path / "run.cfg"), up.bootstrap, "in", "out", "chain",
                           guarantee="at_least_once", max_messages=BATCH,
                           output_kafka={"bootstrap.servers": down.bootstrap})
        reps = Replicas(binary, cfg, str(tmp_path))
        r1 = reps.start()
        feed = Feeder(up.bootstrap, "in", N, RATE)
        feed.start()
        t0 = time.monotonic()
        deadline = t0 + 60
        while feed.sent < N // 2 or r1.count("batch committed") < 5:
            assert time.monotonic() < deadline and r1.proc.poll() is None, f"no batch committed: {r1.text()[-2000:]}"
            time.sleep(0.1)
        assert r1.kill() == -signal.SIGKILL
        r2 = reps.start()
        feed.done(60)
        recs = wait_output(down.bootstrap, "out", PARTITIONS, N, 120, alive=(r2,))
        assert r2.stop() == 0, f"the restarted replica did not stop cleanly: {r2.text()[-2000:]}"
        lost, dups = tally(recs, N)
        print(f"chaining: {len(recs)} records downstream, lost {lost}, duplicates {dups} after one SIGKILL "
              f"(bound {BATCH * PARTITIONS}), {time.monotonic() - t0:.1f} s")
        assert lost == 0
        assert dups <= BATCH * PARTITIONS
    finally:
        if reps:
            reps.close()
        if down:
            down.stop()
        up.stop()
