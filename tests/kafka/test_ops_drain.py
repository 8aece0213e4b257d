"""tests/kafka/test_ops_drain.py — issue 13, item 3 on a real Kafka: `run --until-eof` after a
member of the group died, and while one lives.

A drain commits from outside the group (generation -1, no member id); Kafka's group coordinator
refuses such commits with UNKNOWN_MEMBER_ID while the group has members, and a member killed with
SIGKILL stays one until its session times out. Before, the drain logged 'offset commit failed' ten
times and exited 0 ('input drained'), its offsets never committed, and the next run read the
"drained" input again. Now it waits for the session timeout (the dead member leaves, the drain
commits), or refuses when members outlive it. The mock cluster never lets a group that had
members take such commits again, so the waiting half can only be shown here."""
import time

import harness
from harness import unique

FIRST, SECOND = 2_000, 2_000


def member_of_a_group(kafka1, tmp_path, name, partitions):
    """A running at_least_once member of a new group, which has committed FIRST alerts of a new
    input topic: (bootstrap, input, output, group, config, member)."""
    b = kafka1.bootstrap
    src = kafka1.create_topic(unique(f"{name}-in"), partitions)
    out = kafka1.create_topic(unique(f"{name}-all"), 2)
    group = unique(name)
    cfg = harness.write_config(tmp_path / "run.cfg", b, [src], group, [("all", out, "true")],
                               guarantee="at_least_once")
    harness.send(b, src, FIRST, seed=1)
    member = harness.Processor(cfg, tmp_path / "member.log")
    harness.wait_committed(b, group, src, 120, member.check_alive)
    return b, src, out, group, cfg, member


def test_drain_waits_for_a_killed_member_to_time_out_then_commits_everything(kafka1, tmp_path):
    b, src, out, group, cfg, member = member_of_a_group(kafka1, tmp_path, "drain", 4)
    member.kill()  # a member of the group until session.timeout.ms (6 s) passes

    harness.send(b, src, SECOND, seed=2)
    t0 = time.monotonic()
    drain = harness.Processor(cfg, tmp_path / "drain.log", until_eof=True)
    status = drain.wait(120)
    took = time.monotonic() - t0
    log = drain.log_text()
    assert status == 0, log[-3000:]
    assert 'msg="the group has members: waiting for their session to time out" ' \
           f'group={group} session_timeout_ms=6000\n' in log, log[-3000:]
    assert 'msg="drain committed" partitions=4\n' in log, log[-3000:]
    assert 'msg="offset commit failed"' not in log, log[-3000:]
    assert took < 60, f"the drain took {took:.1f} s"

    # Committed to the end: a second drain reads nothing and writes nothing.
    ends = harness.end_offsets(b, src)
    assert harness.committed_offsets(b, group, src) == ends
    out_end = harness.end_offsets(b, out)
    again = harness.Processor(cfg, tmp_path / "again.log", until_eof=True)
    assert again.wait(60) == 0, again.log_text()[-3000:]
    assert harness.end_offsets(b, out) == out_end

    inputs = harness.read_topic(b, src)
    outputs = harness.read_topic(b, out)
    expected = harness.eval_selection(cfg, [r.value for r in inputs], tmp_path)
    assert harness.check_exact({out: outputs}, expected) == {out: (FIRST + SECOND, 0, 0, 0)}


def test_drain_refuses_while_a_member_of_the_group_lives(kafka1, tmp_path):
    _, _, _, group, cfg, member = member_of_a_group(kafka1, tmp_path, "drain-live", 2)

    t0 = time.monotonic()
    drain = harness.Processor(cfg, tmp_path / "drain.log", until_eof=True)
    status = drain.wait(60)
    took = time.monotonic() - t0
    log = drain.log_text()
    assert status == 1, log[-3000:]
    assert 'level=error msg="cannot drain: the group still has members after session.timeout.ms" ' \
           f'group={group} error="Broker: Unknown member" session_timeout_ms=6000 ' \
           'hint="a drain commits from outside the group, which its coordinator refuses while the group ' \
           'has members; these outlived their session: stop them first"\n' in log, log[-3000:]
    assert 'msg="partitions assigned"' not in log, log[-3000:]
    assert 6 < took < 30, f"refused after {took:.1f} s"
    member.check_alive()
    assert member.stop() == 0
