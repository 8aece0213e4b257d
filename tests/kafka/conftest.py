"""tests/kafka/conftest.py — pytest fixtures of the real-broker suite: one one-node Kafka shared by
the scenarios that can share it (each uses its own topics and group), and cleanup of every
process a test started, whatever its outcome."""
import os
import signal

import pytest

import harness

# `make test-kafka` runs under timeout(1): its SIGTERM becomes an interruption, so that the
# fixtures below still stop the clusters and processes.
def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(scope="session")
def kafka1(tmp_path_factory):
    """A one-node cluster for the whole session; stopped at its end."""
    if not os.access(harness.BIN, os.X_OK):
        pytest.fail(f"no alertfilter binary at {harness.BIN} (run make test-kafka, or set ALERTFILTER_BIN)")
    c = harness.Cluster(tmp_path_factory.mktemp("kafka1"), nodes=1)
    yield c
    harness.kill_started()
    c.stop()


@pytest.fixture(autouse=True)
def no_leftover_processes():
    yield
    harness.kill_started()
