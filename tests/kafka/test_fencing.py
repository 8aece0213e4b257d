"""tests/kafka/test_fencing.py — scenario 4 of issue 12 on a real Kafka: a replica SIGSTOPped inside
a transaction until its partitions have moved to the other replica (session timeout) and the broker
has aborted its transaction (transaction timeout), then SIGCONTed: its commit is fenced, it stops
with a fatal error and exit status 1 (for a supervisor to restart), and a read_committed reader sees
each alert that eval selects exactly once.

Stopped for less than transaction.timeout.ms, a zombie is not fatal, and that is right: its
transaction is still its own to abort. It wakes to a lost assignment, aborts, rejoins and goes on
(seen with a 7 s stop and an 8 s timeout); had it tried to commit first, the broker would have
refused its offsets for the old group generation (KIP-447, ILLEGAL_GENERATION): no duplicate.

The mock cluster fences no zombie: its transactions never time out and it does not check the group
generation sent with the offsets. Where the two disagree, Kafka is right."""
import signal
import time

import harness
from harness import unique
from replicas import Feeder, Replicas, commits, config, ends, expected, final_counts, wait_output, stop

ALERTS = 8000
RATE = 400        # slow: the stream outlasts the stop, and every batch is a transaction of ~40 alerts
PARTITIONS = 4
FENCED = 'level=error msg="fatal transaction error" step=abort_transaction ' \
         'error="Failed to end transaction: Local: This instance has been fenced by a newer instance"'


def test_zombie_is_fenced(kafka1, tmp_path):
    b = kafka1.bootstrap
    src, out = kafka1.create_topic(unique("zombie-in"), PARTITIONS), kafka1.create_topic(unique("zombie-out"), PARTITIONS)
    cfg = config(tmp_path / "run.cfg", b, src, out, unique("zombie"), output_kafka={"transaction_timeout_ms": 6000})
    want = expected(cfg, ALERTS, tmp_path)[out]
    reps = Replicas(cfg, tmp_path)
    zombie, other = reps.start(), reps.start()
    feed = Feeder(b, src, ALERTS, RATE)
    feed.start()
    harness.wait_for("both replicas to commit 3 transactions",
                     lambda: all(len(commits(r)) >= 3 for r in (zombie, other)), 60)
    zombie.signal(signal.SIGSTOP)
    t_stop = time.monotonic()
    # Stopped until the other replica has committed a batch from every input partition (the
    # zombie's partitions moved after the 6 s session timeout), and until no transaction that was
    # open then is open any more: only the broker can end the zombie's, after its 6 s timeout.
    before = len(commits(other))
    harness.wait_for("the other replica to take over every partition",
                     lambda: other.check_alive() or any(f"partitions={PARTITIONS} " in line
                                                        for line in commits(other)[before:]), 60)
    parts = range(PARTITIONS)
    written = ends(b, out, parts, committed=False)
    harness.wait_for("the broker to abort the zombie's transaction",
                     lambda: all(s >= written[p] for p, s in ends(b, out, parts, committed=True).items()), 60)
    stopped = time.monotonic() - t_stop
    zombie.signal(signal.SIGCONT)
    status = zombie.wait(30)
    log = zombie.log_text()
    assert status == 1, f"zombie exit status {status}: {log[-2000:]}"
    assert FENCED in log, log[-3000:]
    assert log.rstrip().endswith("level=error msg=stopped status=1"), log[-500:]
    feed.done(60)
    wait_output(b, out, sum(want.values()), 90, alive=(other,))
    stop(other)
    _, (read, lost, dups, unexpected) = final_counts(b, out, want)
    print(f"fencing: stopped {stopped:.1f} s, the zombie exited 1 fenced; {read} records read_committed, "
          f"lost {lost}, duplicates {dups}, unexpected {unexpected}; dropped by the guard {reps.refetched()}")
    assert (read, lost, dups, unexpected) == (sum(want.values()), 0, 0, 0)
