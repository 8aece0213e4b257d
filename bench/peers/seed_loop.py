#!/usr/bin/env python3
"""bench/peers/seed_loop.py — the seed's method, streaming (issue 17): a transactional
consume-transform-produce loop (as librdkafka's examples/transactions.c) with confluent-kafka;
ast.literal_eval (json.loads for JSON) per message, bench/rules.py's Python predicates, json.dumps
of each match once, produced keyed to each matching rule's topic; malformed input to DEAD_LETTER.

  seed_loop.py BOOTSTRAP INPUT GROUP python|json RULES(N|all:TOPIC) TOPIC_PREFIX DEAD_LETTER

Batches: up to 1000 messages or 100 ms, then send_offsets_to_transaction and commit; on an
abortable error the transaction is aborted and the consumer rewound to the committed offsets.
Prints "first-consumed EPOCH_MS" at its first message; runs until SIGTERM/SIGINT."""
import ast
import json
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from rules import rules as bench_rules  # noqa: E402  (bench/rules.py)
from seed_method import angsep, cone  # noqa: E402  (bench/seed_method.py)

BATCH, BATCH_SECONDS = 1000, 0.1


def load_rules(spec, prefix):
    if spec.startswith("all:"):
        return [(spec[4:], lambda alert: True)]
    env = {"angsep": angsep, "cone": cone}
    return [(prefix + r["topic"], eval("lambda alert: " + r["python"], env)) for r in bench_rules(int(spec))]


def rewind(consumer):
    """Seeks every assigned partition back to the group's committed offset (after an abort)."""
    committed = consumer.committed(consumer.assignment(), timeout=30)
    for tp in committed:
        if tp.offset < 0:
            tp.offset = -2  # OFFSET_BEGINNING: nothing committed yet
        consumer.seek(tp)


def main(argv):
    if len(argv) != 8:
        sys.exit(__doc__)
    bootstrap, topic, group, fmt, spec, prefix, dead_letter = argv[1:]
    rules = load_rules(spec, prefix)
    parse = ast.literal_eval if fmt == "python" else json.loads
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"seed-loop-{group}-{os.getpid()}",
                         "linger.ms": 10})
    producer.init_transactions(30)
    consumer.subscribe([topic])
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    first = False
    while not stop:
        msgs = consumer.consume(BATCH, BATCH_SECONDS)
        if not msgs:
            continue
        if not first:
            first = True
            print(f"first-consumed {int(time.time() * 1000)}", flush=True)
        producer.begin_transaction()
        try:
            for m in msgs:
                if m.error():
                    continue
                v = m.value()
                try:
                    alert = parse(v.decode())
                    if not isinstance(alert, dict):
                        raise ValueError("not a dict")
                    hits = [t for t, match in rules if match(alert)]
                    out = dumps(alert).encode() if hits else None
                except Exception:  # malformed: a dead letter, as alertfilter's
                    hits, out = [dead_letter], v
                for t in hits:
                    while True:
                        try:
                            producer.produce(t, out, m.key())
                            break
                        except BufferError:
                            producer.poll(0.05)
                producer.poll(0)
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                                 consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(30)
        except KafkaException as e:
            err = e.args[0]
            if err.txn_requires_abort():
                producer.abort_transaction(30)
                rewind(consumer)
            elif err.retriable():
                producer.commit_transaction(30)
            else:
                raise
    consumer.close()


if __name__ == "__main__":
    main(sys.argv)
