"""tests/kafka/test_kafka_sh.py — scripts/kafka.sh's own contract: a failure says which and leaves
no process behind (no Java; a node's port taken while it was down), kill and restart bring a node
back, stop leaves nothing running."""
import os
import shutil
import socket
import subprocess

import harness


def running(directory):
    """Pids of the Java processes whose command line names a config under DIRECTORY."""
    out = subprocess.run(["pgrep", "-f", f"{directory}/node"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def bind(s, port):
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False


def test_start_without_java_says_so(tmp_path):
    path = tmp_path / "bin"
    path.mkdir()
    for tool in ("bash", "dirname", "sed", "mkdir", "cat"):
        os.symlink(shutil.which(tool), path / tool)
    p = subprocess.run([harness.KAFKA_SH, "start", str(tmp_path / "c")], capture_output=True, text=True,
                       timeout=30, env={**os.environ, "PATH": str(path)})
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr == "kafka.sh: no java (Kafka needs Java 17: scripts/deps.sh kafka installs it)\n"


def test_kill_restart_and_a_port_in_use(tmp_path):
    d = tmp_path / "c"
    c = harness.Cluster(d)
    try:
        topic = c.create_topic("t", 3)
        harness.produce_raw(c.bootstrap, topic, [b"one"])
        c.kill(1)
        assert running(d) == []
        # The controller's port: only the node itself was connected to it, so the kill closed
        # both ends (the clients of the broker port keep theirs half-open for a while).
        with open(d / "node1" / "server.properties") as f:
            port = int(next(ln for ln in f if ln.startswith("listeners=")).rsplit(":", 1)[1])
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # A connection of the killed node may hold the port a while (FIN_WAIT2, up to 60 s).
            harness.wait_for(f"port {port} to be free", lambda: bind(s, port), 90, interval=1)
            s.listen()
            p = subprocess.run([harness.KAFKA_SH, "restart", str(d), "1"], capture_output=True, text=True,
                               timeout=180)
        assert p.returncode == 1
        assert "node 1: a port is in use" in p.stderr and f"127.0.0.1:{port}" in p.stderr, p.stderr
        assert p.stderr.endswith("kafka.sh: node 1 did not come back (it is not left running)\n"), p.stderr
        assert running(d) == []
        c.restart(1)
        assert [r.value for r in harness.read_topic(c.bootstrap, topic)] == [b"one"]
    finally:
        c.stop()
    assert running(d) == []
