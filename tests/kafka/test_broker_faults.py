"""tests/kafka/test_broker_faults.py — scenario 5 of the real-broker suite: on 3 nodes (replication
3, min.insync.replicas 2), the node that leads the replica's transaction coordinator is killed and
restarted mid-stream, then the node that leads an output partition: a read_committed reader sees
each selected alert exactly once.

transaction.timeout.ms stays at librdkafka's 60 s here: it also caps message.timeout.ms, and a
partition of a SIGKILLed node has no leader until the controller fences that node
(broker.session.timeout.ms, 9 s). Below that, records time out, the transaction must be aborted
with an epoch bump, and librdkafka 2.0.2's abort then failed with a fatal INVALID_TXN_STATE (seen
here with 10 s): the replica exits 1 for its supervisor to restart, nothing lost or duplicated.

The mock cluster's "broker down" keeps every partition's data and moves no leader the way KRaft
elects one; Kafka is right where they differ."""
import os
import time

import pytest
from confluent_kafka.admin import AdminClient

from replicas import QUIET, Cluster, Feeder, Replicas, in_order, tally, wait_output, write_config

N = 20000
RATE = 800
PARTITIONS = 6
TXN_ID = "faults-replica"
TXN_STATE_PARTITIONS = 8  # transaction.state.log.num.partitions in scripts/kafka.sh


def java_hash(s):
    """Java's String.hashCode (of an ASCII string), which Kafka uses to place a transactional.id."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def leader(admin, topic, partition):
    md = admin.list_topics(topic=topic, timeout=10)
    return md.topics[topic].partitions[partition].leader


def coordinator_node(admin, txn_id):
    """The node leading the __transaction_state partition of txn_id: Kafka's
    TransactionStateManager.partitionFor, Utils.abs(hashCode) % partitions (abs(MIN_VALUE) is 0)."""
    h = java_hash(txn_id)
    return leader(admin, "__transaction_state", (0 if h == -(1 << 31) else abs(h)) % TXN_STATE_PARTITIONS)


@pytest.mark.timeout(300)
def test_broker_faults_lose_and_duplicate_nothing(tmp_path):
    binary = os.environ["ALERTFILTER_BIN"]
    k = Cluster(str(tmp_path / "kafka"), nodes=3)
    reps = None
    try:
        k.topic("in", PARTITIONS)
        k.topic("out", PARTITIONS)
        cfg = write_config(str(tmp_path / "run.cfg"), k.bootstrap, "in", "out", "faults",
                           kafka={"transactional.id": TXN_ID, "transaction.timeout.ms": 60000})
        admin = AdminClient({"bootstrap.servers": k.bootstrap, **QUIET})
        reps = Replicas(binary, cfg, str(tmp_path))
        r = reps.start()
        feed = Feeder(k.bootstrap, "in", N, RATE)
        feed.start()
        t0 = time.monotonic()
        deadline = t0 + 60
        while r.count("batch committed") < 5:
            assert time.monotonic() < deadline and r.proc.poll() is None, f"no transaction committed: {r.text()[-2000:]}"
            time.sleep(0.2)
        killed = []
        for what, node in (("transaction coordinator", lambda: coordinator_node(admin, TXN_ID)),
                           ("leader of out/0", lambda: leader(admin, "out", 0))):
            n = node()
            assert n in (1, 2, 3), f"{what}: no leader ({n})"
            k.kill(n)
            time.sleep(3)
            k.restart(n)
            killed.append(f"node {n} ({what})")
            assert r.proc.poll() is None, f"the replica exited: {r.text()[-2000:]}"
        feed.done(120)
        recs = wait_output(k.bootstrap, "out", PARTITIONS, N, 120, alive=(r,))
        assert r.stop() == 0, f"the replica did not stop cleanly: {r.text()[-2000:]}"
        lost, dups = tally(recs, N)
        print(f"broker faults: killed and restarted {', '.join(killed)}; {len(recs)} records, lost {lost}, "
              f"duplicates {dups}, aborted batches {r.count('batch aborted')}, "
              f"re-fetched and dropped by the guard {reps.refetched()}, {time.monotonic() - t0:.1f} s")
        assert (lost, dups) == (0, 0)
        assert in_order(recs), "alerts of one input partition out of their input order"
    finally:
        if reps:
            reps.close()
        k.stop()
