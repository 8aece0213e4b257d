"""tests/kafka/harness.py — the real-broker suite's tools: clusters through scripts/kafka.sh,
alertfilter's `send`/`run`/`eval` as child processes, and an independent checker (confluent-kafka,
its own librdkafka) that reads topics read_committed and compares them exactly with eval.

Every wait has a deadline; every process started here is tracked and killed by its pid only.

A scenario (a test_*.py beside this file) typically: takes the shared one-node cluster (fixture
`kafka1`, conftest.py) or starts its own (`Cluster(tmp_path / "c", nodes=3)`, stopped in a
finally); creates uniquely named topics (`unique`); `send`s alerts; writes a config
(`write_config`) and starts `Processor`s, killing, stopping or SIGSTOPping them; waits with
`wait_committed`/`wait_for`; then reads every output topic (`read_topic`, read_committed) and
asserts `check_exact(outputs, eval_selection(config, input values)) == {topic: (n, 0, 0, 0)}`
and `order_violations(records) == []`."""
import collections
import os
import random
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KAFKA_SH = os.path.join(ROOT, "scripts", "kafka.sh")
BIN = os.environ.get("ALERTFILTER_BIN", os.path.join(ROOT, "bin", "alertfilter"))
QUIET = {"log_level": 0, "logger": lambda *a: None}
SOURCE = "alertfilter-source"  # header of every output record: "topic/partition/offset" of its input


class HarnessError(AssertionError):
    pass


def unique(prefix):
    """A name no other test (nor an earlier run on a shared cluster) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(what, pred, timeout, interval=0.2):
    """Polls pred() until it returns a true value (returned), or fails naming WHAT after TIMEOUT s."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# ---- clusters ------------------------------------------------------------------------------------

class Cluster:
    """A cluster of scripts/kafka.sh under DIR; stop() ends every node (also on a failed start)."""

    def __init__(self, directory, nodes=1, timeout=240):
        self.dir, self.nodes = str(directory), nodes
        out = self._sh(["start", self.dir, "--nodes", str(nodes)], timeout)
        self.bootstrap = out.splitlines()[0].strip()

    def _sh(self, args, timeout):
        p = subprocess.run([KAFKA_SH, *args], capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise HarnessError(f"kafka.sh {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def create_topic(self, name, partitions):
        self._sh(["create-topic", self.dir, name, str(partitions)], 90)
        return name

    def kill(self, node):
        self._sh(["kill", self.dir, str(node)], 60)

    def restart(self, node):
        self._sh(["restart", self.dir, str(node)], 180)

    def stop(self):
        self._sh(["stop", self.dir], 60)


# ---- alertfilter's commands --------------------------------------------------------------------

def send(bootstrap, topic, n, seed=1, fmt="python", timeout=300):
    """Produces N sample alerts (keyed by alertId) with `alertfilter send`."""
    p = subprocess.run([BIN, "send", "-b", bootstrap, "-t", topic, "-n", str(n), "--seed", str(seed),
                        "--format", fmt], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise HarnessError(f"alertfilter send exit {p.returncode}: {p.stderr.strip()}")


def write_config(path, bootstrap, topics, group, rules, guarantee="exactly_once", dead_letter_topic=None,
                 kafka=None, output_kafka=None, output=None):
    """A config for `run`. RULES: [(name, topic, where)]. KAFKA/OUTPUT_KAFKA/OUTPUT: extra settings,
    e.g. {"session_timeout_ms": 6000}. Test defaults: a 6 s session (the broker's least) so that a
    killed member leaves the group soon, and a 10 s transaction timeout so that the open transaction
    of a killed processor is aborted by the broker soon (the processor's transactional.id changes
    with each process, so the next one cannot fence it)."""
    def settings(d):
        return " ".join(f"{k} = {v!r};".replace("'", '"') if isinstance(v, str) else f"{k} = {v};"
                        for k, v in d.items())
    kafka = {"bootstrap_servers": bootstrap, "session_timeout_ms": 6000, **(kafka or {})}
    output_kafka = {"transaction_timeout_ms": 10000, **(output_kafka or {})}
    if guarantee != "exactly_once":
        output_kafka.pop("transaction_timeout_ms")
    out = {"guarantee": guarantee, **(output or {})}
    if dead_letter_topic:
        out["dead_letter_topic"] = dead_letter_topic
    out_text = settings(out) + (f" kafka = {{ {settings(output_kafka)} }};" if output_kafka else "")
    text = (f"kafka = {{ {settings(kafka)} }};\n"
            f"input = {{ topics = [ {', '.join(repr(t).replace(chr(39), chr(34)) for t in topics)} ]; "
            f"group = \"{group}\"; format = \"auto\"; }};\n"
            f"output = {{ {out_text} }};\n"
            "rules = (\n" + ",\n".join(f'  {{ name = "{n}"; topic = "{t}"; where = "{w}"; }}' for n, t, w in rules)
            + "\n);\n")
    with open(path, "w") as f:
        f.write(text)
    return str(path)


class Processor:
    """One `alertfilter run -c CONFIG` child; its stderr goes to LOG."""

    def __init__(self, config, log, until_eof=False, verbose=False):
        self.log = str(log)
        args = [BIN, "run", "-c", str(config)] + (["--until-eof"] if until_eof else []) + (["-v"] if verbose else [])
        with open(self.log, "ab") as f:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=f, stdin=subprocess.DEVNULL)
        STARTED.append(self)

    def alive(self):
        return self.proc.poll() is None

    def check_alive(self):
        """Raises, with the end of its log, if the process has exited."""
        if not self.alive():
            raise HarnessError(f"run exited with status {self.proc.returncode}; its log ends:\n{self.log_text()[-3000:]}")

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL, and reaped."""
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout=60):
        """SIGTERM (commit what is in flight, exit 0); returns the exit status."""
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise HarnessError(f"run did not stop within {timeout} s of SIGTERM (log: {self.log})")

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"run did not exit within {timeout} s (log: {self.log})")

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


STARTED = []  # every Processor started, for kill_started()


def kill_started():
    """Kills every processor still running (a failed test's leftovers)."""
    for p in STARTED:
        if p.alive():
            p.kill()
    STARTED.clear()


def eval_selection(config, values, workdir):
    """What `alertfilter eval` selects from VALUES (bytes, one alert each): {topic: Counter(json bytes)}."""
    path = os.path.join(str(workdir), unique("eval-input") + ".txt")
    with open(path, "wb") as f:
        for v in values:
            f.write(v + b"\n")
    p = subprocess.run([BIN, "eval", "-c", str(config), path], capture_output=True, timeout=300)
    if p.returncode != 0:
        raise HarnessError(f"alertfilter eval exit {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    sel = collections.defaultdict(collections.Counter)
    for line in p.stdout.splitlines():
        topic, _, js = line.partition(b"\t")
        sel[topic.decode()][js] += 1
    return sel


# ---- the independent checker -----------------------------------------------------------------

@dataclass
class Record:
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict = field(default_factory=dict)

    def source(self):
        """(topic, partition, offset) of the input this output record came from."""
        t, p, o = self.headers[SOURCE].decode().rsplit("/", 2)
        return t, int(p), int(o)


def consumer(bootstrap, isolation="read_committed", **extra):
    return Consumer({"bootstrap.servers": bootstrap, "group.id": unique("checker"), "enable.auto.commit": False,
                     "isolation.level": isolation, "enable.partition.eof": True, "auto.offset.reset": "earliest",
                     **QUIET, **extra})


def partitions(bootstrap, topic, timeout=30):
    c = consumer(bootstrap)
    try:
        t = c.list_topics(topic, timeout=timeout).topics[topic]
        if t.error:
            raise HarnessError(f"topic {topic}: {t.error}")
        return sorted(t.partitions)
    finally:
        c.close()


def end_offsets(bootstrap, topic, timeout=30):
    """{partition: high watermark}: past every record, those of open transactions included. (A
    read_committed client's watermark query answers the last stable offset instead: librdkafka
    sends ListOffsets with its own isolation level.)"""
    c = consumer(bootstrap, "read_uncommitted")
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout, cached=False)[1]
                for p in partitions(bootstrap, topic, timeout)}
    finally:
        c.close()


def read_topic(bootstrap, topic, isolation="read_committed", timeout=120, final=True):
    """Every record of TOPIC, in partition then offset order, as a reader with ISOLATION sees it.
    read_committed stops at the last stable offset: FINAL waits (up to TIMEOUT) until that is the
    partition's end, i.e. until no transaction is left open on it, so that the answer is final;
    not FINAL: what such a reader sees now. The end is the high watermark asked of a second,
    read_uncommitted client: the reader's own watermark query would answer the last stable
    offset, and an open transaction (a killed processor's, until the broker aborts it) would
    look like the end."""
    parts = partitions(bootstrap, topic)
    c = consumer(bootstrap, isolation)
    probe = consumer(bootstrap, "read_uncommitted") if isolation != "read_uncommitted" else c
    deadline = time.monotonic() + timeout

    def high_watermark(p):
        return probe.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        got = {p: [] for p in parts}
        done = set()
        while len(done) < len(parts):
            if time.monotonic() >= deadline:
                pos = {tp.partition: tp.offset for tp in c.position([TopicPartition(topic, p) for p in parts])}
                raise HarnessError(f"reading {topic} ({isolation}): not at the end of partitions "
                                   f"{sorted(set(parts) - done)} after {timeout} s (positions {pos}); "
                                   "a transaction left open?")
            for m in c.consume(num_messages=5000, timeout=0.5):
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        raise HarnessError(f"reading {topic}: {m.error()}")
                    p = m.partition()
                    if not final or c.position([TopicPartition(topic, p)])[0].offset >= high_watermark(p):
                        done.add(p)
                    continue
                got[m.partition()].append(Record(m.partition(), m.offset(), m.key(), m.value(),
                                                 dict(m.headers() or [])))
                done.discard(m.partition())
            # An open transaction holds read_committed back without a new EOF: look again.
            for p in set(parts) - done:
                hw = high_watermark(p)
                pos = c.position([TopicPartition(topic, p)])[0].offset
                if hw == 0 or (pos >= 0 and pos >= hw):
                    done.add(p)
        return [r for p in parts for r in got[p]]
    finally:
        c.close()
        if probe is not c:
            probe.close()


class GroupWatch:
    """Reads a group's committed offsets of TOPIC from outside the group (one client, kept open:
    polled often, it must be cheap). committed() is {partition: offset (-1001 when none)}."""

    def __init__(self, bootstrap, group, topic):
        self.topic = topic
        self.parts = partitions(bootstrap, topic)
        self.c = consumer(bootstrap, **{"group.id": group})

    def committed(self, timeout=30):
        tps = [TopicPartition(self.topic, p) for p in self.parts]
        return {tp.partition: tp.offset for tp in self.c.committed(tps, timeout=timeout)}

    def total(self):
        """Sum of the committed offsets; None while they cannot be read (a transaction commits)."""
        try:
            return sum(max(o, 0) for o in self.committed().values())
        except KafkaException:
            return None

    def close(self):
        self.c.close()


def committed_offsets(bootstrap, group, topic, timeout=30):
    """{partition: the group's committed offset (-1001 when none)}, read by a client outside the group."""
    w = GroupWatch(bootstrap, group, topic)
    try:
        return w.committed(timeout)
    finally:
        w.close()


def wait_committed(bootstrap, group, topic, timeout, alive=None):
    """Waits until GROUP has committed the end of every partition of TOPIC; ALIVE (optional) is
    called on each round and should raise if the process doing the work died. A partition whose
    last record is a transaction marker is never caught up so (librdkafka, as alertfilter uses it,
    commits the offset after the last record it returned): end such input with plain records."""
    def caught_up():
        if alive:
            alive()
        try:
            return committed_offsets(bootstrap, group, topic) == end_offsets(bootstrap, topic)
        except KafkaException:  # e.g. UNSTABLE_OFFSET_COMMIT while a transaction is open
            return False
    wait_for(f"group {group} to commit the end of {topic}", caught_up, timeout, interval=0.5)


def produce_raw(bootstrap, topic, values, partition=None, transaction=None, key=None):
    """Produces VALUES (bytes) as they are; TRANSACTION None: plainly (idempotent), "commit" or
    "abort": inside one transaction that ends so. Returns once the broker has them all."""
    conf = {"bootstrap.servers": bootstrap, "enable.idempotence": True, **QUIET}
    if transaction:
        conf["transactional.id"] = unique("raw")
    p = Producer(conf)
    if transaction:
        p.init_transactions(30)
        p.begin_transaction()
    errors = []
    for v in values:
        kw = {"partition": partition} if partition is not None else {}
        p.produce(topic, v, key, on_delivery=lambda err, msg: err and errors.append(err), **kw)
    if transaction == "commit":
        p.commit_transaction(30)
    elif transaction == "abort":
        p.flush(30)  # the aborted records are in the log, then marked aborted
        p.abort_transaction(30)
    else:
        p.flush(30)
    if errors:
        raise HarnessError(f"produce to {topic}: {errors[0]}")


# ---- comparisons -----------------------------------------------------------------------------

def check_exact(outputs, expected):
    """OUTPUTS {topic: [Record]} against EXPECTED {topic: Counter(value)} (eval's selection).
    Returns {topic: (read, lost, duplicates, unexpected)}; the caller asserts on it, so that a
    failure shows every topic's counts at once."""
    report = {}
    for topic in sorted(set(outputs) | set(expected)):
        got = collections.Counter(r.value for r in outputs.get(topic, []))
        want = expected.get(topic, collections.Counter())
        lost = sum((want - got).values())
        dups = sum(n - want[v] for v, n in got.items() if n > want.get(v, n))
        unexpected = sum(n for v, n in got.items() if v not in want)
        report[topic] = (sum(got.values()), lost, dups, unexpected)
    return report


def order_violations(records):
    """Records of one output topic whose input came, from the same input partition, before or at a
    record already seen earlier in the same output partition: (output partition, record) pairs. An
    input record written out twice is one (same key, same output partition, same source)."""
    last = {}
    bad = []
    for r in records:
        t, p, o = r.source()
        k = (r.partition, t, p)
        if k in last and o <= last[k]:
            bad.append((r.partition, (t, p, o), last[k]))
        last[k] = o
    return bad


# The tests' random choices: KAFKA_TEST_SEED=N repeats a run's; each test prints the seed it drew.
SEED = int(os.environ.get("KAFKA_TEST_SEED", "0")) or random.SystemRandom().randrange(1, 2**31)
RNG = random.Random(SEED)
