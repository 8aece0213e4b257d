"""tests/kafka/test_avro.py — Avro input on a real Kafka: Rubin alerts in the Confluent wire format
(the schemas lsst-alert-packet ships, v11_0 from a schema registry with its split files as registry
references, v10_0 from schema files in the config) and ZTF-style alerts, one object container file
per message (deflate and null codecs). The rule topics hold exactly what `alertfilter eval` selects
from the same records written as container files; an `original` rule holds the input messages
byte for byte; unreadable messages are dead letters naming their offset and reason.

The registry is tests/tools/registry_server.py answering as the Confluent Schema Registry API does
(GET /schemas/ids/ID with references, GET /subjects/S/versions/V): Karapace, the registry the issue
names, is not on PyPI, and neither Confluent's registry nor a complete Apicurio is on Maven Central
(docs/configuration.md, "The schema registry", says which artifacts are missing). The records are
written by fastavro from Rubin's own schemas."""
import collections
import copy
import io
import json
import os
import random
import struct
import subprocess
import sys

import fastavro
import fastavro.schema

import harness
from harness import unique

ROOT = harness.ROOT
N_RUBIN = 400  # v11_0 alerts; and N_RUBIN // 4 of v10_0
N_ZTF = 300


def rubin_dir(major, minor):
    import lsst.alert.packet
    return os.path.join(os.path.dirname(lsst.alert.packet.__file__), "schema", str(major), str(minor))


def rubin_schema(major, minor):
    """The parsed schema (fastavro.schema.load_schema reads the split files) and the sample record."""
    d = rubin_dir(major, minor)
    schema = fastavro.schema.load_schema(os.path.join(d, f"lsst.v{major}_{minor}.alert.avsc"))
    with open(os.path.join(d, "sample_data", "fakeAlert.avro"), "rb") as f:
        sample = next(iter(fastavro.reader(f)))
    return schema, sample


def rubin_alerts(sample, n, seed):
    """N records varied from SAMPLE: ids, fluxes, SNRs, histories and cutouts differ."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = copy.deepcopy(sample)
        a["diaSourceId"] = seed * 10**9 + i
        a["diaSource"]["diaSourceId"] = a["diaSourceId"]
        a["diaSource"]["psfFlux"] = rng.choice([rng.uniform(0, 5000), rng.uniform(5000, 1e5), -rng.uniform(0, 100)])
        a["diaSource"]["snr"] = rng.uniform(0, 60)
        if i % 5 == 0:
            a["prvDiaSources"] = None
        if i % 3 == 0:
            a["cutoutDifference"] = a["cutoutScience"] = a["cutoutTemplate"] = None
        else:
            a["cutoutDifference"] = bytes(rng.randrange(256) for _ in range(64))
        out.append(a)
    return out


def confluent(schema_id, schema, record):
    buf = io.BytesIO()
    buf.write(b"\0" + struct.pack(">I", schema_id))
    fastavro.schemaless_writer(buf, schema, record)
    return buf.getvalue()


def container(schema, records, codec="null"):
    buf = io.BytesIO()
    fastavro.writer(buf, schema, records, codec=codec)
    return buf.getvalue()


ZTF_SCHEMA = fastavro.parse_schema({
    "type": "record", "name": "alert", "namespace": "ztf", "fields": [
        {"name": "schemavsn", "type": "string"},
        {"name": "objectId", "type": "string"},
        {"name": "candid", "type": "long"},
        {"name": "candidate", "type": {"type": "record", "name": "candidate", "fields": [
            {"name": "jd", "type": "double"}, {"name": "fid", "type": "int"},
            {"name": "ra", "type": "double"}, {"name": "dec", "type": "double"},
            {"name": "magpsf", "type": "float"}, {"name": "sigmapsf", "type": "float"},
            {"name": "isdiffpos", "type": "string"}, {"name": "rb", "type": ["null", "float"], "default": None},
            {"name": "ssdistnr", "type": ["null", "float"], "default": None}]}},
        {"name": "prv_candidates", "type": ["null", {"type": "array", "items": {
            "type": "record", "name": "prv_candidate", "fields": [
                {"name": "jd", "type": "double"}, {"name": "magpsf", "type": ["null", "float"], "default": None}]}}],
         "default": None},
        {"name": "cutoutScience", "type": ["null", "bytes"], "default": None},
    ]})


def ztf_alerts(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        k = rng.randrange(4)
        out.append({
            "schemavsn": "3.3", "objectId": f"ZTF26aa{i:05d}", "candid": 2_000_000_000_000 + seed * 100_000 + i,
            "candidate": {"jd": 2461000.5 + i / 1000, "fid": 1 + i % 3, "ra": rng.uniform(0, 360),
                          "dec": rng.uniform(-30, 90), "magpsf": rng.uniform(14, 21), "sigmapsf": rng.uniform(0, 0.3),
                          "isdiffpos": "t" if i % 4 else "f", "rb": None if i % 7 == 0 else rng.random(),
                          "ssdistnr": None},
            "prv_candidates": None if k == 0 else [{"jd": 2460990.5 + j, "magpsf": None if j % 2 else 19.5}
                                                   for j in range(k)],
            "cutoutScience": b"\x1f\x8b" + bytes(rng.randrange(256) for _ in range(32)),
        })
    return out


def eval_containers(config, containers, workdir):
    """What `alertfilter eval` selects from CONTAINERS (each the bytes of one .avro file), all in
    one eval: a list of (topic, json bytes) in input order."""
    paths = []
    for i, c in enumerate(containers):
        paths.append(os.path.join(str(workdir), f"eval-{i:06d}.avro"))
        with open(paths[-1], "wb") as f:
            f.write(c)
    out = []
    p = subprocess.run([harness.BIN, "eval", "-c", str(config), *paths], capture_output=True, timeout=300)
    if p.returncode != 0:
        raise harness.HarnessError(f"alertfilter eval exit {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    for line in p.stdout.splitlines():
        topic, _, js = line.partition(b"\t")
        out.append((topic.decode(), js))
    return out


def id_of(js):
    """The alert's unique id in its JSON: ties an eval line back to its input message."""
    d = json.loads(js)
    return d.get("diaSourceId", d.get("candid"))


def write_config(path, bootstrap, topics, group, dlq, registry, schemas, rules):
    """RULES: [(name, topic, where, encoding or None)]."""
    rule_text = ",\n".join(f'  {{ name = "{n}"; topic = "{t}"; where = "{w}";'
                           + (f' encoding = "{e}";' if e else "") + " }" for n, t, w, e in rules)
    schema_text = ", ".join(f'{{ id = {i}; file = "{f}"; }}' for i, f in schemas)
    with open(path, "w") as f:
        f.write(f'kafka = {{ bootstrap_servers = "{bootstrap}"; session_timeout_ms = 6000; }};\n'
                f'input = {{ topics = [ {", ".join(chr(34) + t + chr(34) for t in topics)} ]; group = "{group}";\n'
                f'  format = "auto";\n'
                f'  avro = {{ registry = "{registry}"; registry_timeout_ms = 5000; schemas = ( {schema_text} ); }}; }};\n'
                f'output = {{ dead_letter_topic = "{dlq}"; kafka = {{ transaction_timeout_ms = 10000; }}; }};\n'
                f'rules = (\n{rule_text}\n);\n')
    return str(path)


def registry_routes(major, minor, schema_id):
    """The Confluent Schema Registry's answers for Rubin's vM_m alert registered with references:
    the alert schema as written (naming lsst.vM_m.diaSource...) and one subject per other file."""
    d = rubin_dir(major, minor)
    prefix = f"lsst.v{major}_{minor}."
    refs, routes = [], {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".avsc") or name == prefix + "alert.avsc":
            continue
        subject = name[:-len(".avsc")]
        with open(os.path.join(d, name)) as f:
            text = f.read()
        refs.append({"name": subject, "subject": subject, "version": 1})
        routes[f"/subjects/{subject}/versions/1"] = {
            "status": 200, "body": json.dumps({"subject": subject, "version": 1, "id": schema_id + len(refs),
                                               "schema": text})}
    with open(os.path.join(d, prefix + "alert.avsc")) as f:
        routes[f"/schemas/ids/{schema_id}"] = {"status": 200, "body": json.dumps({"schema": f.read(), "references": refs})}
    return routes


class Registry:
    """tests/tools/registry_server.py as a child; its requests are logged."""

    def __init__(self, workdir, routes):
        self.log = os.path.join(str(workdir), "registry-requests.log")
        routes_path = os.path.join(str(workdir), "registry-routes.json")
        with open(routes_path, "w") as f:
            json.dump(routes, f)
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "tools", "registry_server.py"),
                                      routes_path, self.log], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"

    def requests(self):
        if not os.path.exists(self.log):
            return collections.Counter()
        with open(self.log) as f:
            return collections.Counter(line.strip() for line in f)

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=30)


def test_rubin_and_ztf_alerts_select_exactly_what_eval_selects(kafka1, tmp_path):
    b = kafka1.bootstrap
    rubin_in = kafka1.create_topic(unique("avro-rubin"), 3)
    ztf_in = kafka1.create_topic(unique("avro-ztf"), 2)
    outs = {k: kafka1.create_topic(unique(f"avro-{k}"), 2) for k in ("bright", "snr", "ztfbright", "ztfhist")}
    dlq = kafka1.create_topic(unique("avro-dlq"), 1)
    group = unique("avro")
    seed = harness.SEED
    print(f"seed {seed}")

    s11, sample11 = rubin_schema(11, 0)
    s10, sample10 = rubin_schema(10, 0)
    r11 = rubin_alerts(sample11, N_RUBIN, seed)
    r10 = rubin_alerts(sample10, N_RUBIN // 4, seed + 1)
    ztf = ztf_alerts(N_ZTF, seed)
    rubin_msgs = [confluent(1100, s11, a) for a in r11] + [confluent(1000, s10, a) for a in r10]
    ztf_msgs = [container(ZTF_SCHEMA, [a], codec="deflate" if i % 2 else "null") for i, a in enumerate(ztf)]
    bad = [b"\0" + struct.pack(">I", 4040) + rubin_msgs[0][5:],  # an id the registry does not know
           rubin_msgs[1][:200]]                                # a record cut short
    harness.produce_raw(b, rubin_in, rubin_msgs + bad)
    harness.produce_raw(b, ztf_in, ztf_msgs)

    registry = Registry(tmp_path, registry_routes(11, 0, 1100))
    try:
        rules = [("bright", outs["bright"], "diaSource.psfFlux > 20000", None),
                 ("snr", outs["snr"], "diaSource.snr > 30 and len(prvDiaSources) >= 1", "original"),
                 ("ztfbright", outs["ztfbright"], "candidate.magpsf < 16 and candidate.isdiffpos == 't'", None),
                 ("ztfhist", outs["ztfhist"], "len(prv_candidates) >= 2", None)]
        v10 = os.path.join(rubin_dir(10, 0), "lsst.v10_0.alert.avsc")
        cfg = write_config(tmp_path / "avro.cfg", b, [rubin_in, ztf_in], group, dlq, registry.url, [(1000, v10)], rules)
        check = subprocess.run([harness.BIN, "check", "-c", cfg], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr
        p = harness.Processor(cfg, tmp_path / "run.log")
        harness.wait_committed(b, group, rubin_in, 180, p.check_alive)
        harness.wait_committed(b, group, ztf_in, 180, p.check_alive)
        assert p.stop() == 0
        # One request for id 1100 and one per reference; 1000 is the config's; 4040 asked once.
        reqs = registry.requests()
        assert reqs["/schemas/ids/1100"] == 1 and reqs["/schemas/ids/4040"] == 1 and "/schemas/ids/1000" not in reqs, reqs
        assert all(n == 1 for n in reqs.values()), reqs
    finally:
        registry.stop()

    # eval on the same records, each in a container file of its schema.
    rubin_records = [(s11, a) for a in r11] + [(s10, a) for a in r10]
    sel = eval_containers(cfg, [container(s, [a]) for s, a in rubin_records] +
                          [container(ZTF_SCHEMA, [a]) for a in ztf], tmp_path)
    expected = collections.defaultdict(collections.Counter)
    msg_by_id = {a["diaSourceId"]: m for (_, a), m in zip(rubin_records, rubin_msgs)}
    for topic, js in sel:
        if topic == outs["snr"]:
            expected[topic][msg_by_id[id_of(js)]] += 1  # encoding original: the input message
        else:
            expected[topic][js] += 1
    assert all(sum(expected[t].values()) > 5 for t in outs.values()), {t: sum(c.values()) for t, c in expected.items()}
    got = {t: harness.read_topic(b, t) for t in outs.values()}
    report = harness.check_exact(got, expected)
    assert all(lost == dups == unexpected == 0 for _, lost, dups, unexpected in report.values()), report

    letters = harness.read_topic(b, dlq)
    why = {r.value: r.headers["alertfilter-error"].decode() for r in letters}
    assert len(letters) == 2 and set(why) == set(bad), why
    assert why[bad[0]] == "offset 1: schema id 4040 is not in the schema registry", why
    # Cut at byte 200: the reader says where the record ran out (an offset past the 5-byte frame).
    off = int(why[bad[1]].split(":")[0].split()[1])
    assert why[bad[1]].startswith("offset ") and 5 < off < 200, why
