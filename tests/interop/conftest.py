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
    yield from harness.server_factory(
        lambda kind, binary, *args, env=None: harness.Server(kind, binary, args, env=env))


@pytest.fixture
def ours(server_factory):
    return server_factory("ours")


@pytest.fixture
def upstream(server_factory):
    return server_factory("upstream")


@pytest.fixture(scope="session")
def upstream_version():
    return harness.upstream_version()
