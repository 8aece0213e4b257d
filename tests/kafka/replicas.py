"""tests/kafka/replicas.py — what scenarios 3, 4, 5 and 7 of the real-broker suite share:
`alertfilter run` replicas as child processes (signals, logs, exit status), a steady feeder of
alerts, and the independent read_committed check (confluent-kafka, never alertfilter's code)."""
import json
import os
import signal
import subprocess
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

QUIET = {"log_level": 0, "logger": lambda *a: None}
RULE = '{ name = "snr"; topic = "%s"; where = "diaSource.snr > 2"; }'


def selected(i):
    """What the scenarios' rule selects, computed here without alertfilter."""
    return i % 10 > 2


def alert(i):
    return json.dumps({"alertId": i, "diaObject": {"diaObjectId": 1000 + i // 3},
                       "diaSource": {"diaSourceId": 500000 + i, "snr": i % 10, "ra": (i * 37) % 360 + 0.25}})


def kafka_group(props):
    """A libconfig group of librdkafka properties ('_' for '.')."""
    return "{ " + " ".join(f'{k.replace(".", "_")} = "{v}";' for k, v in props.items()) + " }"


def write_config(path, bootstrap, topic, out_topic, group, guarantee="exactly_once", kafka=None,
                 output_kafka=None, max_messages=200, interval_ms=100):
    """A `run` config: one rule (RULE) writing to out_topic; short timeouts so that faults resolve fast."""
    props = {"bootstrap.servers": bootstrap, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
             "transaction.timeout.ms": 10000, **(kafka or {})}
    text = (f"kafka = {kafka_group(props)};\n"
            f'input = {{ topics = [ "{topic}" ]; group = "{group}"; format = "json"; }};\n'
            f'output = {{ guarantee = "{guarantee}"; transaction_max_messages = {max_messages}; '
            f"transaction_interval_ms = {interval_ms};"
            + (f" kafka = {kafka_group(output_kafka)};" if output_kafka else "") + " };\n"
            f"rules = ( {RULE % out_topic} );\n")
    with open(path, "w") as f:
        f.write(text)
    return path


class Replica:
    """One `alertfilter run -v` child; its log (stderr) goes to a file under workdir."""

    def __init__(self, binary, config, workdir, name):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "run", "-c", config, "-v"], stdout=subprocess.DEVNULL,
                                     stderr=self.log, start_new_session=True)

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        return self.wait(10)

    def stop(self, timeout=30):
        """SIGTERM (commit what is in flight, exit 0); SIGKILL if it does not exit in time."""
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None

    def text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def count(self, msg):
        """Log lines with msg="MSG"."""
        return self.text().count(f'msg="{msg}"')

    def refetched(self):
        """Records the guard dropped (processor/run_positions.c: librdkafka #4637)."""
        return self.count("record fetched again, dropped")


class Replicas:
    """Every replica a scenario starts; close() ends the ones still running."""

    def __init__(self, binary, config, workdir):
        self.binary, self.config, self.workdir, self.all = binary, config, workdir, []

    def start(self, config=None):
        r = Replica(self.binary, config or self.config, self.workdir, f"replica{len(self.all) + 1}")
        self.all.append(r)
        return r

    def refetched(self):
        return sum(r.refetched() for r in self.all)

    def close(self):
        for r in self.all:
            if r.proc.poll() is None:
                r.signal(signal.SIGKILL)
                r.wait(10)
            r.log.close()


class Feeder(threading.Thread):
    """Produces alerts [0, n) to topic at about rate per second (keyed: spread over the partitions)."""

    def __init__(self, bootstrap, topic, n, rate):
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.n, self.rate = bootstrap, topic, n, rate
        self.sent = 0
        self.error = None

    def run(self):
        try:
            p = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5,
                          "enable.idempotence": True, **QUIET})
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
                if ahead > 0:
                    p.poll(0)
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


def read_committed(bootstrap, topic, partitions, timeout):
    """Every record of topic that a read_committed reader sees up to the partitions' last stable
    offsets at the time of the call: [(partition, offset, value, headers)]. A partition is read to
    its end when the client reports EOF at or past that offset (records of aborted transactions and
    transaction markers leave no message to see there)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"checker-{os.getpid()}-{time.monotonic_ns()}",
                  "isolation.level": "read_committed", "enable.auto.commit": False,
                  "enable.partition.eof": True, **QUIET})
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                ends = [c.get_watermark_offsets(TopicPartition(topic, p), cached=False, timeout=5)[1]
                        for p in range(partitions)]
                break
            except KafkaException as e:
                assert time.monotonic() < deadline, f"checker: no end offsets of {topic} in {timeout} s: {e}"
                time.sleep(0.5)
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        recs, eof = [], [-1] * partitions
        while any(eof[p] < ends[p] for p in range(partitions)):
            assert time.monotonic() < deadline, \
                f"checker: {topic} not read to its end in {timeout} s (at {eof}, ends {ends})"
            for m in c.consume(1000, 0.5):
                if m.error() and m.error().code() == KafkaError._PARTITION_EOF:
                    eof[m.partition()] = m.offset()
                elif m.error():
                    assert not m.error().fatal(), f"checker: {m.error()}"
                else:
                    recs.append((m.partition(), m.offset(), m.value(), dict(m.headers() or [])))
        return recs
    finally:
        c.close()


def end_offsets(bootstrap, topic, partitions, committed):
    """Each partition's last stable offset (committed=True: what read_committed readers may reach)
    or high watermark (committed=False: past every record written, open transactions included)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "checker-ends", **QUIET,
                  "isolation.level": "read_committed" if committed else "read_uncommitted"})
    try:
        return [c.get_watermark_offsets(TopicPartition(topic, p), cached=False, timeout=10)[1]
                for p in range(partitions)]
    finally:
        c.close()


def alert_ids(recs):
    return [json.loads(v)["alertId"] for _, _, v, _ in recs]


def tally(recs, n):
    """(lost, duplicates) of the output records against the alerts of [0, n) that RULE selects."""
    ids = alert_ids(recs)
    want = {i for i in range(n) if selected(i)}
    got = set(ids)
    assert got <= want, f"{len(got - want)} alerts in the output that the rule does not select: {sorted(got - want)[:10]}"
    return len(want - got), len(ids) - len(got)


def wait_output(bootstrap, topic, partitions, n, timeout, alive=()):
    """Reads the output until it holds every selected alert of [0, n) (or timeout); returns the records.
    Fails early when a replica that should be running has exited."""
    want = sum(1 for i in range(n) if selected(i))
    deadline = time.monotonic() + timeout
    while True:
        recs = read_committed(bootstrap, topic, partitions, max(10, deadline - time.monotonic()))
        have = len(set(alert_ids(recs)))
        print(f"{time.strftime('%H:%M:%S')} {topic}: {have} of {want} selected alerts, {len(recs)} records")
        if have >= want or time.monotonic() >= deadline:
            return recs
        for r in alive:
            assert r.proc.poll() is None, f"{r.name} exited ({r.proc.returncode}): {r.text()[-2000:]}"
        time.sleep(1)


def in_order(recs):
    """Whether, in each output partition, the alerts from one input partition keep their input order
    (by the alertfilter-source header, topic/partition/offset)."""
    last = {}
    for p, _, _, h in recs:
        topic, part, off = h["alertfilter-source"].decode().rsplit("/", 2)
        k = (p, topic, part)
        if int(off) <= last.get(k, -1):
            return False
        last[k] = int(off)
    return True


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KAFKA_SH = os.environ.get("KAFKA_SH", os.path.join(ROOT, "scripts", "kafka.sh"))


class Cluster:
    """A scripts/kafka.sh cluster under dir; stop() leaves nothing running."""

    def __init__(self, dir, nodes=1):
        self.dir, self.nodes = dir, nodes
        out = self.sh("start", "--nodes", str(nodes), timeout=300)
        self.bootstrap = out.splitlines()[0]

    def sh(self, *args, timeout=120):
        r = subprocess.run([KAFKA_SH, args[0], self.dir, *args[1:]], capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f"kafka.sh {' '.join(args)}: {r.stderr.strip()}"
        return r.stdout

    def topic(self, name, partitions):
        self.sh("create-topic", name, str(partitions))

    def kill(self, node):
        self.sh("kill", str(node))

    def restart(self, node):
        self.sh("restart", str(node), timeout=200)

    def stop(self):
        self.sh("stop")
