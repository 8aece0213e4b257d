"""scripts/kafka_admin.py — the client side of scripts/kafka.sh, through confluent-kafka (its own
librdkafka, independent of alertfilter's): waits until a cluster takes transactions, creates topics.

  kafka_admin.py ready BOOTSTRAP BROKERS [NODE] TIMEOUT_S
  kafka_admin.py create-topic BOOTSTRAP NAME PARTITIONS REPLICAS TIMEOUT_S
Exits 0 when done, 1 with one line on stderr saying what did not happen in time."""
import os
import sys
import time

try:
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:
    print("kafka.sh: Python's confluent_kafka is missing (scripts/deps.sh kafka installs it)", file=sys.stderr)
    sys.exit(1)

READY_TOPIC = "alertfilter-ready"
QUIET = {"log_level": 0, "logger": lambda *a: None}


def fail(msg):
    print(f"kafka.sh: {msg}", file=sys.stderr)
    sys.exit(1)


def left(deadline):
    return max(0.1, deadline - time.monotonic())


def brokers_up(admin, deadline):
    md = admin.list_topics(timeout=min(5, left(deadline)))
    return {b for b in md.brokers}


def wait_brokers(admin, want, node, deadline):
    """Until WANT brokers are registered, or (for a restarted node) that NODE is one of them."""
    seen = set()
    while time.monotonic() < deadline:
        try:
            seen = brokers_up(admin, deadline)
            if (node is not None and node in seen) or (node is None and len(seen) >= want):
                return
        except KafkaException:
            pass
        time.sleep(0.2)
    which = f"node {node}" if node is not None else f"{want} brokers"
    fail(f"{which} not registered in time (registered: {sorted(seen) or 'none'})")


def create_topic(admin, name, partitions, replicas, deadline):
    """Creates NAME (an existing topic with as many partitions is fine) and waits for a leader per partition."""
    while True:
        fut = admin.create_topics([NewTopic(name, partitions, replicas)], operation_timeout=min(30, left(deadline)))[name]
        try:
            fut.result(timeout=left(deadline))
            break
        except KafkaException as e:
            err = e.args[0]
            if err.name() == "TOPIC_ALREADY_EXISTS":
                break
            if not err.retriable() or time.monotonic() >= deadline:
                fail(f"cannot create topic {name}: {err.str()}")
            time.sleep(0.3)
    while time.monotonic() < deadline:
        try:
            t = admin.list_topics(topic=name, timeout=min(5, left(deadline))).topics.get(name)
            if t is not None and t.error is None and t.partitions:
                if len(t.partitions) != partitions:
                    fail(f"topic {name} exists with {len(t.partitions)} partitions, not {partitions}")
                if all(p.leader >= 0 and p.error is None for p in t.partitions.values()):
                    return
        except KafkaException:
            pass
        time.sleep(0.2)
    fail(f"topic {name}: not every partition has a leader in time")


def one_transaction(bootstrap, deadline):
    """A transactional produce that also commits a consumer group's offset: what `run` does."""
    conf = {"bootstrap.servers": bootstrap, "transactional.id": f"alertfilter-ready-{os.getpid()}", **QUIET}
    last = "no attempt"
    while time.monotonic() < deadline:
        p = Producer(conf)
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "alertfilter-ready", **QUIET})
        try:
            p.init_transactions(min(30, left(deadline)))
            p.begin_transaction()
            p.produce(READY_TOPIC, b"ready", partition=0)
            p.send_offsets_to_transaction([TopicPartition(READY_TOPIC, 0, 0)], c.consumer_group_metadata(),
                                          min(30, left(deadline)))
            p.commit_transaction(min(30, left(deadline)))
            return
        except KafkaException as e:
            last = e.args[0].str()
        finally:
            c.close()
        time.sleep(0.3)
    fail(f"no transaction committed in time (last error: {last})")


def main(argv):
    if len(argv) >= 4 and argv[0] == "ready":
        bootstrap, want = argv[1], int(argv[2])
        node = int(argv[3]) if len(argv) == 5 else None
        deadline = time.monotonic() + float(argv[-1])
        admin = AdminClient({"bootstrap.servers": bootstrap, **QUIET})
        wait_brokers(admin, want, node, deadline)
        create_topic(admin, READY_TOPIC, 1, want, deadline)
        one_transaction(bootstrap, deadline)
    elif len(argv) == 6 and argv[0] == "create-topic":
        bootstrap, name, partitions, replicas = argv[1], argv[2], int(argv[3]), int(argv[4])
        deadline = time.monotonic() + float(argv[5])
        create_topic(AdminClient({"bootstrap.servers": bootstrap, **QUIET}), name, partitions, replicas, deadline)
    else:
        fail("usage: kafka_admin.py ready BOOTSTRAP BROKERS [NODE] TIMEOUT_S | "
             "create-topic BOOTSTRAP NAME PARTITIONS REPLICAS TIMEOUT_S")


if __name__ == "__main__":
    main(sys.argv[1:])
