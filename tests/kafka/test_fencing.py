"""tests/kafka/test_fencing.py — scenario 4 of issue 12 on a real Kafka: a replica SIGSTOPped inside
a transaction while a replacement takes its place (its supervisor restarted it, same
transactional.id) and its partitions move (session timeout), then SIGCONTed: its commit is fenced,
it stops with a fatal error and exit status 1, and a read_committed reader sees each alert that
eval selects exactly once.

With a transactional.id of its own (the default, alertfilter-GROUP-HOST-PID), nothing else can
fence a zombie by its id, and it need not be fatal: its transaction is aborted by the broker after
transaction.timeout.ms, and its offsets are refused for the old group generation (KIP-447,
ILLEGAL_GENERATION, abortable). Seen here with 6 s: stopped 7-10 s, the zombie either exited 1
("fenced by a newer instance") or recovered its producer (KIP-360 epoch bump), aborted, rejoined
and went on. Either way nothing was duplicated; the exact fatal exit needs the shared id.

The mock cluster fences no zombie: it does not bump epochs on init_transactions nor check the
group generation sent with the offsets. Where the two disagree, Kafka is right."""
import signal
import time

import harness
from harness import unique
from replicas import Feeder, Replicas, commits, config, final_counts, stop, wait_output

ALERTS = 8000
RATE = 400        # slow: the stream outlasts the stop, and every batch is a transaction of ~40 alerts
PARTITIONS = 4
# The epoch the replacement's init_transactions bumped, as the zombie meets it: on its next
# transactional request, or on the produce requests still in flight when it was stopped.
FENCED = ("This instance has been fenced by a newer instance", "Producer attempted an operation with an old epoch")


def test_zombie_is_fenced(kafka1, tmp_path):
    b = kafka1.bootstrap
    src, out = kafka1.create_topic(unique("zombie-in"), PARTITIONS), kafka1.create_topic(unique("zombie-out"), PARTITIONS)
    group = unique("zombie")
    cfg = config(tmp_path / "run.cfg", b, src, out, group)
    pinned = config(tmp_path / "pinned.cfg", b, src, out, group, kafka={"transactional_id": unique("zombie-txn")})
    reps = Replicas(cfg, tmp_path)
    zombie, other = reps.start(pinned), reps.start()
    feed = Feeder(b, src, ALERTS, RATE)
    feed.start()
    harness.wait_for("both replicas to commit 3 transactions",
                     lambda: all(len(commits(r)) >= 3 for r in (zombie, other)), 60)
    zombie.signal(signal.SIGSTOP)
    t_stop = time.monotonic()
    # The replacement's init_transactions fences the zombie and aborts its open transaction; once
    # the zombie's session has timed out (6 s), the group moves its partitions.
    replacement = reps.start(pinned)
    harness.wait_for("the replacement to commit a transaction",
                     lambda: replacement.check_alive() or other.check_alive() or commits(replacement), 60)
    stopped = time.monotonic() - t_stop
    zombie.signal(signal.SIGCONT)
    status = zombie.wait(30)
    log = zombie.log_text()
    # The fencing reaches run as the error of whichever call meets it first (a commit, an abort,
    # a produce): librdkafka logs it as fatal, and run stops.
    fatal = [line for line in log.splitlines() if "level=error" in line and any(f in line for f in FENCED)]
    assert status == 1, f"zombie exit status {status}: {log[-2000:]}"
    assert fatal, log[-3000:]
    assert log.rstrip().endswith("level=error msg=stopped status=1"), log[-500:]
    feed.done(60)
    selected, repeated = feed.written(cfg, tmp_path)
    want = selected[out]
    wait_output(b, out, want, 90, alive=(other, replacement))
    stop(other)
    stop(replacement)
    _, (read, lost, dups, unexpected) = final_counts(b, out, want)
    print(f"fencing: stopped {stopped:.1f} s; the zombie exited 1 after {fatal[-1].split(' msg=', 1)[1]}; "
          f"{read} records read_committed, lost {lost}, duplicates {dups}, unexpected {unexpected}; "
          f"dropped by the guard {reps.refetched()}; input alerts the feeder wrote twice {repeated}")
    assert (read, lost, dups, unexpected) == (sum(want.values()), 0, 0, 0)
