"""tests/kafka/test_offsets_resume.py — scenario 2 of issue 12 on a real Kafka: the offsets a run
commits inside its transactions are the group's offsets. After a clean stop they equal the input's
end (read back by a client outside the group); a restart reprocesses nothing and goes on from there.

The mock cluster stores no transactional offsets (send_offsets_to_transaction leaves no trace a
new consumer could read), so this can only be shown here. Where the two disagree, Kafka is right."""
import time

import harness
from harness import unique

FIRST, SECOND = 4_000, 3_000


def test_clean_stop_commits_the_input_end_and_a_restart_goes_on_from_it(kafka1, tmp_path):
    b = kafka1.bootstrap
    src = kafka1.create_topic(unique("resume-in"), 4)
    out = kafka1.create_topic(unique("resume-all"), 2)
    group = unique("resume")
    cfg = harness.write_config(tmp_path / "run.cfg", b, [src], group, [("all", out, "true")])

    harness.send(b, src, FIRST, seed=1)
    p = harness.Processor(cfg, tmp_path / "run-1.log")
    harness.wait_committed(b, group, src, 120, p.check_alive)
    assert p.stop() == 0

    ends = harness.end_offsets(b, src)
    assert sum(ends.values()) == FIRST
    assert harness.committed_offsets(b, group, src) == ends
    first = harness.read_topic(b, out)
    assert len(first) == FIRST
    out_end = harness.end_offsets(b, out)

    # A restart with nothing new to read: it joins, gets every partition and writes nothing,
    # not even into a transaction it would abort.
    p = harness.Processor(cfg, tmp_path / "run-2.log")
    harness.wait_for("the restarted run to be assigned the input",
                     lambda: "partitions assigned" in p.log_text() or not p.alive(), 60)
    p.check_alive()
    time.sleep(2)  # twenty transaction intervals: time for anything it would wrongly re-read
    assert harness.end_offsets(b, out) == out_end
    assert harness.committed_offsets(b, group, src) == ends

    # New input: the same process goes on from the committed offsets.
    harness.send(b, src, SECOND, seed=2)
    harness.wait_committed(b, group, src, 120, p.check_alive)
    assert p.stop() == 0
    ends = harness.end_offsets(b, src)
    assert sum(ends.values()) == FIRST + SECOND
    assert harness.committed_offsets(b, group, src) == ends

    inputs = harness.read_topic(b, src)
    outputs = harness.read_topic(b, out)
    expected = harness.eval_selection(cfg, [r.value for r in inputs], tmp_path)
    assert harness.check_exact({out: outputs}, expected) == {out: (FIRST + SECOND, 0, 0, 0)}
    # Each input offset appears once, and the log holds nothing else: no aborted copy either.
    assert sorted(r.source()[1:] for r in outputs) == sorted((r.partition, r.offset) for r in inputs)
    assert len(harness.read_topic(b, out, isolation="read_uncommitted")) == FIRST + SECOND
