"""Fixtures: fresh servers on free loopback ports, stopped by PID when the test ends.

`ours` is the binary scripts/test builds (target/release/pushgateway, or $PGRS_BIN); `upstream`
is Debian's /usr/bin/prometheus-pushgateway (or $PGRS_UPSTREAM_BIN). A missing binary fails the
test with the path it looked for; nothing is skipped silently.
"""

import pytest

import harness


@pytest.fixture
def server_factory():
    """start(kind, *flags, env=None) → a running harness.Server; kind is "ours" or "upstream",
    env extra environment variables."""
    started = []

    def start(kind, *args, env=None):
        binary = {"ours": harness.OURS_BIN, "upstream": harness.UPSTREAM_BIN}[kind]
        server = harness.Server(kind, binary, args, env=env)
        started.append(server)
        try:
            return server.start()
        except RuntimeError as e:
            error = str(e)
        pytest.fail(error, pytrace=False)

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def ours(server_factory):
    return server_factory("ours")


@pytest.fixture
def upstream(server_factory):
    return server_factory("upstream")


@pytest.fixture(scope="session")
def upstream_version():
    return harness.upstream_version()
