"""tests/kafka/test_broker_faults.py — scenario 5 of issue 12 on a real Kafka: on 3 nodes
(replication 3, min.insync.replicas 2) the node that leads the replica's transaction coordinator is
SIGKILLed and restarted mid-stream, then the node that leads an output partition; a read_committed
reader sees each alert that eval selects exactly once, in input order, and the replica never exits.

transaction.timeout.ms stays at librdkafka's 60 s here: it also caps message.timeout.ms, and the
partitions of a SIGKILLed node have no leader until the controller fences the node. Below that
time records time out, the transaction must be aborted with an epoch bump, and librdkafka 2.0.2's
abort then failed with a fatal INVALID_TXN_STATE (seen with 10 s on a 9 s fencing): the replica
exits 1 for its supervisor, nothing lost or duplicated.

librdkafka 2.0.2 can also abort the process (assertion `eonce->refcnt > 0`, librdkafka #4605) when
the coordinator of an Admin request dies under it: run's liveness probe (ListConsumerGroupOffsets,
issue 13) is such a request, and 3 of 5 runs since it came ended so. That is a failure here.

The mock cluster's "broker down" keeps the partitions' data and elects no leader the way a KRaft
controller does. Where the two disagree, Kafka is right."""
import time

import pytest

from confluent_kafka.admin import AdminClient

import harness
from harness import unique
from replicas import Feeder, Replicas, commits, config, expected, final_counts, wait_output, stop

ALERTS = 16_000
RATE = 800
PARTITIONS = 6
TXN_STATE_PARTITIONS = 8  # transaction.state.log.num.partitions in scripts/kafka.sh


def java_hash(s):
    """Java's String.hashCode of an ASCII string."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def leader(admin, topic, partition):
    return admin.list_topics(topic=topic, timeout=10).topics[topic].partitions[partition].leader


def coordinator(admin, txn_id):
    """The node leading txn_id's __transaction_state partition: Kafka's
    TransactionStateManager.partitionFor, Utils.abs(hashCode) % partitions (abs(MIN_VALUE) is 0)."""
    h = java_hash(txn_id)
    return leader(admin, "__transaction_state", (0 if h == -(1 << 31) else abs(h)) % TXN_STATE_PARTITIONS)


# A known failure, kept running and reported (XFAIL or XPASS), not skipped: a read_committed reader
# found 1 duplicate among 11,200 records in a fresh-clone run of 2026-12-07 (node 3, the transaction
# coordinator, then node 1, the leader of faults-out/0, killed and restarted; no batch aborted,
# nothing dropped by the #4637 guard), and 17 in one run of the day before; about 1 run in 8. Not yet
# explained: an idempotent retry across a leader change that the new leader did not deduplicate, or
# the reader. Issue 12 stays open on it.
@pytest.mark.xfail(strict=False, reason="a duplicate after broker kills, about 1 run in 8: an open bug (issue 12)")
def test_broker_faults_lose_and_repeat_nothing(tmp_path):
    k = harness.Cluster(tmp_path / "kafka", nodes=3)
    try:
        b = k.bootstrap
        src, out = k.create_topic("faults-in", PARTITIONS), k.create_topic("faults-out", PARTITIONS)
        txn_id = unique("faults")
        cfg = config(tmp_path / "run.cfg", b, src, out, "faults", kafka={"transactional_id": txn_id},
                     output_kafka={"transaction_timeout_ms": 60000})
        want = expected(cfg, ALERTS, tmp_path)[out]
        admin = AdminClient({"bootstrap.servers": b, **harness.QUIET})
        reps = Replicas(cfg, tmp_path)
        r = reps.start()
        feed = Feeder(b, src, ALERTS, RATE)
        feed.start()
        t0 = time.monotonic()
        harness.wait_for("5 committed transactions", lambda: r.check_alive() or len(commits(r)) >= 5, 60)
        killed = []
        for what, node in (("transaction coordinator", lambda: coordinator(admin, txn_id)),
                           (f"leader of {out}/0", lambda: leader(admin, out, 0))):
            n = node()
            assert n in (1, 2, 3), f"{what}: no leader ({n})"
            k.kill(n)
            time.sleep(3)
            k.restart(n)
            killed.append(f"node {n} ({what})")
            r.check_alive()
        feed.done(120)
        wait_output(b, out, sum(want.values()), 120, alive=(r,))
        stop(r)
        recs, (read, lost, dups, unexpected) = final_counts(b, out, want)
        aborted = r.log_text().count('msg="batch aborted"')
        print(f"broker faults: killed and restarted {', '.join(killed)}; {read} records read_committed, "
              f"lost {lost}, duplicates {dups}, unexpected {unexpected}; batches aborted {aborted}; "
              f"dropped by the guard {reps.refetched()}; "
              f"{time.monotonic() - t0:.1f} s")
        assert (read, lost, dups, unexpected) == (sum(want.values()), 0, 0, 0)
        assert harness.order_violations(recs) == []
    finally:
        harness.kill_started()
        k.stop()
