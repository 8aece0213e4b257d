"""tests/kafka/test_chaining.py — scenario 7 of issue 12 on a real Kafka: `at_least_once` from one
cluster to a second, separate one (output.kafka names it; a transaction cannot span two clusters).
The replica is SIGKILLed mid-stream and restarted: nothing is lost; what the restart writes again
(records produced after the last offset commit) is counted, printed, and bounded by one batch per
input partition.

The mock cluster cannot show this: the harness runs one mock cluster per process, so both ends
were the same cluster there. Where the two disagree, Kafka is right."""
import signal
import time

import harness
from harness import unique
from replicas import BATCH, Feeder, Replicas, commits, config, final_counts, wait_output, stop

ALERTS = 16_000
RATE = 1600
PARTITIONS = 8


def test_chain_to_a_second_cluster_loses_nothing(kafka1, tmp_path):
    down = harness.Cluster(tmp_path / "downstream", nodes=1)
    try:
        src = kafka1.create_topic(unique("chain-in"), PARTITIONS)
        out = down.create_topic("chain-out", PARTITIONS)
        cfg = config(tmp_path / "run.cfg", kafka1.bootstrap, src, out, unique("chain"), guarantee="at_least_once",
                     output_kafka={"bootstrap_servers": down.bootstrap})
        reps = Replicas(cfg, tmp_path)
        r1 = reps.start()
        feed = Feeder(kafka1.bootstrap, src, ALERTS, RATE)
        feed.start()
        t0 = time.monotonic()
        harness.wait_for("half the stream and 5 committed batches",
                         lambda: r1.check_alive() or (feed.sent >= ALERTS // 2 and len(commits(r1)) >= 5), 60)
        r1.kill()
        r2 = reps.start()
        feed.done(60)
        selected, repeated = feed.written(cfg, tmp_path)
        want = selected[out]
        wait_output(down.bootstrap, out, want, 120, alive=(r2,))
        stop(r2)
        _, (read, lost, dups, unexpected) = final_counts(down.bootstrap, out, want)
        print(f"chaining: {read} records downstream, lost {lost}, duplicates {dups} after one SIGKILL "
              f"(bound {BATCH * PARTITIONS}), unexpected {unexpected}; input alerts the feeder wrote twice {repeated}; "
              f"{time.monotonic() - t0:.1f} s")
        assert r1.proc.returncode == -signal.SIGKILL
        assert (lost, unexpected) == (0, 0)
        assert dups <= BATCH * PARTITIONS
    finally:
        harness.kill_started()
        down.stop()
