"""tests/kafka/replicas.py — what scenarios 3, 4, 5 and 7 add to harness.py: a steady stream of
alerts produced while replicas come and go, `run` replicas with debug logs (their batch commits and
the re-fetch guard's drops), and waiting until an output holds every alert that eval selects."""
import collections
import json
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, KafkaError, Producer, TopicPartition

import harness

RULE = ("snr", "diaSource.snr > 2")  # selects 7 alerts in 10 of the stream below
BATCH = 200                          # transaction_max_messages of the scenarios


def alert(i):
    """Alert i of the stream: JSON, unique by alertId."""
    return json.dumps({"alertId": i, "diaObject": {"diaObjectId": 1000 + i // 3},
                       "diaSource": {"diaSourceId": 500000 + i, "snr": i % 10, "ra": (i * 37) % 360 + 0.25}})


def config(path, bootstrap, src, out, group, guarantee="exactly_once", kafka=None, output_kafka=None):
    """harness.write_config with the scenarios' rule, 100 ms / BATCH-alert batches and a 0.5 s heartbeat."""
    return harness.write_config(path, bootstrap, [src], group, [(RULE[0], out, RULE[1])], guarantee=guarantee,
                                kafka={"heartbeat_interval_ms": 500, **(kafka or {})}, output_kafka=output_kafka,
                                output={"transaction_max_messages": BATCH, "transaction_interval_ms": 100})


class Replicas:
    """`run -v` replicas of one config, logs replicaK.log under workdir (harness kills leftovers)."""

    def __init__(self, config, workdir):
        self.config, self.workdir, self.all = config, workdir, []

    def start(self, config=None):
        p = harness.Processor(config or self.config, self.workdir / f"replica{len(self.all) + 1}.log", verbose=True)
        p.name = f"replica{len(self.all) + 1}"
        self.all.append(p)
        return p

    def refetched(self):
        """Records the guard dropped (processor/run_positions.c: librdkafka #4637), in every log."""
        return sum(count(p, "record fetched again, dropped") for p in self.all)


NOT_COMMITTED = 'level=error msg="stopping with a batch not committed: its input is read again on restart"'


def stop(p):
    """SIGTERMs p and asserts a clean stop: exit 0, or exit 1 because the last batch could not be
    committed (a rebalance took its partitions as the stop came): aborted, its input read again by
    the partitions' next owner. Any other error fails. Returns the status."""
    status = p.stop()
    log = p.log_text()
    errors = [line for line in log.splitlines() if "level=error" in line and "msg=librdkafka" not in line]
    if status == 1:
        assert NOT_COMMITTED in log and len(errors) == 2 and errors[-1].endswith("msg=stopped status=1"), \
            f"{p.name} stopped with status 1: {errors}"
        print(f"{p.name}: SIGTERM during a rebalance, last batch aborted, exit 1")
    else:
        assert status == 0 and not errors, f"{p.name} stopped with status {status}: {errors or log[-2000:]}"
    return status


def count(p, msg):
    """Lines of p's log with msg="MSG"."""
    return p.log_text().count(f'msg="{msg}"')


def commits(p):
    """p's "batch committed" log lines."""
    return [line for line in p.log_text().splitlines() if 'msg="batch committed"' in line]


class Feeder(threading.Thread):
    """Produces alerts [0, n) to topic at about rate per second, keyed (spread over the partitions)."""

    def __init__(self, bootstrap, topic, n, rate):
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.n, self.rate = bootstrap, topic, n, rate
        self.sent = 0
        self.error = None

    def run(self):
        try:
            p = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5, "enable.idempotence": True,
                          **harness.QUIET})
            t0 = time.monotonic()
            for i in range(self.n):
                while True:
                    try:
                        p.produce(self.topic, alert(i).encode(), key=f"in-{i}".encode())
                        break
                    except BufferError:
                        p.poll(0.05)
                self.sent = i + 1
                ahead = self.sent / self.rate - (time.monotonic() - t0)
                p.poll(0)
                if ahead > 0:
                    time.sleep(ahead)
            left = p.flush(120)
            if left:
                self.error = f"{left} alerts not delivered"
        except Exception as e:  # reported by done()
            self.error = repr(e)

    def done(self, timeout):
        self.join(timeout)
        assert not self.is_alive(), f"feeder: still producing after {timeout} s ({self.sent} of {self.n} sent)"
        assert self.error is None, f"feeder: {self.error}"

    def written(self, cfg, workdir):
        """Once done: what eval selects from the input topic as the producer wrote it ({topic:
        Counter(json)}), and the keys of the alerts it wrote more than once. An idempotent producer
        can write records twice across a partition leader change: it bumps its epoch and resends
        what it had in flight, and the new leader cannot tell the copies apart (librdkafka #4953;
        only a transaction rules that out). Seen here when a node is killed (test_broker_faults:
        offsets 1941 and 1943 of one partition held alert 11563, under producer epochs 0 and 1).
        Such an alert is two input records, and exactly once means an output record for each."""
        recs = harness.read_topic(self.bootstrap, self.topic)
        keys = collections.Counter(r.key for r in recs)
        missing = self.n - sum(1 for i in range(self.n) if f"in-{i}".encode() in keys)
        assert missing == 0 and len(keys) == self.n, f"feeder: {missing} of {self.n} alerts not in {self.topic}"
        return (harness.eval_selection(cfg, [r.value for r in recs], workdir),
                sorted(k.decode() for k, n in keys.items() if n > 1))


def ends(bootstrap, topic, parts, committed):
    """{partition: last stable offset} (committed: as far as read_committed readers may read) or
    {partition: high watermark} (past every record, open transactions included)."""
    c = harness.consumer(bootstrap, "read_committed" if committed else "read_uncommitted")
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1] for p in parts}
    finally:
        c.close()


def visible(bootstrap, topic, timeout=60):
    """The records of topic that a read_committed reader sees now, up to each partition's last
    stable offset at the call ([harness.Record], partition then offset order). A partition is read
    when the client reports EOF at or past that offset: aborted records and transaction markers
    at its end leave no record to see there. (harness.read_topic asks for the end offsets at
    every EOF: seconds per read, and this is read in a loop.)"""
    parts = harness.partitions(bootstrap, topic)
    end = ends(bootstrap, topic, parts, committed=True)
    c = harness.consumer(bootstrap)
    deadline = time.monotonic() + timeout
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        got, eof = {p: [] for p in parts}, {p: -1 for p in parts}
        while any(eof[p] < end[p] for p in parts):
            assert time.monotonic() < deadline, f"{topic} not read to {end} in {timeout} s (at {eof})"
            for m in c.consume(5000, 0.5):
                if not m.error():
                    got[m.partition()].append(harness.Record(m.partition(), m.offset(), m.key(), m.value(),
                                                             dict(m.headers() or [])))
                elif m.error().code() == KafkaError._PARTITION_EOF:
                    eof[m.partition()] = m.offset()
                else:
                    assert not m.error().fatal(), f"reading {topic}: {m.error()}"
        return [r for p in parts for r in got[p]]
    finally:
        c.close()


def wait_output(bootstrap, topic, want, timeout, alive=()):
    """Reads topic (read_committed, what is visible now) until it holds every record of WANT,
    eval's selection (a Counter: an alert written twice into the input is expected twice, and a
    duplicate does not stand in for a copy still to come); fails after timeout s, or as soon as a
    replica that should be running has exited."""
    n = sum(want.values())

    def complete():
        for p in alive:
            p.check_alive()
        seen = collections.Counter(r.value for r in visible(bootstrap, topic))
        got = sum(min(k, want[v]) for v, k in seen.items() if v in want)
        print(f"{time.strftime('%H:%M:%S')} {topic}: {got} of {n} selected alerts")
        return got >= n
    harness.wait_for(f"{topic} to hold {n} selected alerts", complete, timeout, interval=1)


def final_counts(bootstrap, topic, want, timeout=60):
    """Once no transaction is left open on topic (its last stable offsets have reached its high
    watermarks: a killed replica's transaction is aborted by the broker after its timeout):
    (records, (read, lost, duplicates, unexpected)) against want, eval's Counter for topic."""
    parts = harness.partitions(bootstrap, topic)
    written = ends(bootstrap, topic, parts, committed=False)
    harness.wait_for(f"no transaction left open on {topic}",
                     lambda: all(s >= written[p] for p, s in ends(bootstrap, topic, parts, committed=True).items()),
                     timeout, interval=0.5)
    recs = visible(bootstrap, topic)
    return recs, harness.check_exact({topic: recs}, {topic: want})[topic]
