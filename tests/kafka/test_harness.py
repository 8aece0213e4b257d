"""tests/kafka/test_harness.py — the checker checked: an open transaction is not the end of a
partition; counts against eval's selection when an input alert was written twice.

A read_committed client's watermark query answers the last stable offset, not the high
watermark (librdkafka asks ListOffsets with its own isolation level). The suite's reader once took
that for the end of a partition, so a topic read while a killed processor's transaction was still
open lost every record behind it: test_crashes reported 448 of 1,215 alerts lost that the log
held, committed (kafka-dump-log showed them; reread later, the topic was exact)."""
import collections

import pytest
from confluent_kafka import Producer

import harness
from harness import unique


def test_an_open_transaction_is_not_the_end(kafka1):
    b = kafka1.bootstrap
    topic = kafka1.create_topic(unique("harness"), 1)
    harness.produce_raw(b, topic, [b"c1", b"c2", b"c3"], partition=0, transaction="commit")
    p = Producer({"bootstrap.servers": b, "transactional.id": unique("open"), **harness.QUIET})
    p.init_transactions(30)
    p.begin_transaction()
    for v in (b"o1", b"o2"):
        p.produce(topic, v, partition=0)
    p.flush(30)
    # 3 records, the commit marker, 2 records of the open transaction.
    assert harness.end_offsets(b, topic) == {0: 6}
    assert [r.value for r in harness.read_topic(b, topic, final=False)] == [b"c1", b"c2", b"c3"]
    with pytest.raises(harness.HarnessError, match=r"not at the end of partitions \[0\] after 3 s"):
        harness.read_topic(b, topic, timeout=3)  # the old reader returned the 3 records here
    # Committed, the two records are read, and then it is the end.
    p.commit_transaction(30)
    assert [r.value for r in harness.read_topic(b, topic)] == [b"c1", b"c2", b"c3", b"o1", b"o2"]


def rec(partition, offset, value, source):
    return harness.Record(partition, offset, b"k", value, {harness.SOURCE: source.encode()})


def test_an_alert_written_twice_is_expected_twice():
    # The input held alert a at two offsets (a producer's resend across a leader change): eval
    # selects it twice, and two output records are exact; a third is a duplicate.
    want = {"out": collections.Counter({b"a": 2, b"b": 1})}
    exact = [rec(0, 0, b"a", "in/0/7"), rec(0, 1, b"b", "in/0/8"), rec(0, 2, b"a", "in/0/9")]
    assert harness.check_exact({"out": exact}, want) == {"out": (3, 0, 0, 0)}
    assert harness.order_violations(exact) == []
    third = exact + [rec(0, 3, b"a", "in/0/9"), rec(1, 0, b"c", "in/1/0")]
    assert harness.check_exact({"out": third}, want) == {"out": (5, 0, 1, 1)}
    # The same input record written out twice is also out of order.
    assert harness.order_violations(third) == [(0, ("in", 0, 9), 9)]
    assert harness.check_exact({"out": exact[:2]}, want) == {"out": (2, 1, 0, 0)}
