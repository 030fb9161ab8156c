"""The hardened-image deployment without a Docker engine (Dockerfile, issue 6): the static musl
binary alone in an otherwise empty root (no /etc, /tmp, shell or libc), run as UID 65534 like
the image's `USER`, persisting to the image's `/data` volume. scripts/test builds the binary.
"""

import os
import shutil

import pytest

import harness

MUSL_BIN = os.path.join(harness.REPO_ROOT, "target", "x86_64-unknown-linux-musl", "release", "pushgateway")
NOBODY = 65534


class ScratchServer(harness.Server):
    """Our static binary started by `chroot --userspec=65534:65534 ROOT /bin/pushgateway`."""

    def __init__(self, root, args):
        super().__init__("ours-scratch", MUSL_BIN, args)
        self.root = root

    def argv(self, port):
        return ["chroot", f"--userspec={NOBODY}:{NOBODY}", str(self.root), "/bin/pushgateway",
                *super().argv(port)[1:]]


@pytest.fixture
def scratch_root(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("chroot needs root (CI runs as root)")
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy(MUSL_BIN, root / "bin" / "pushgateway")
    for owned in ("pushgateway", "data"):
        (root / owned).mkdir()
        os.chown(root / owned, NOBODY, NOBODY)
    os.chmod(tmp_path, 0o755)
    os.chmod(root, 0o755)
    assert sorted(os.listdir(root)) == ["bin", "data", "pushgateway"]
    return root


def test_static_binary_serves_as_nobody_in_an_empty_root(scratch_root):
    flags = ("--persistence.file=/data/pushgateway.snap", "--persistence.fsync=always")
    server = ScratchServer(scratch_root, flags).start()
    try:
        assert server.push("PUT", "/metrics/job/edge/instance/box1", "edge_up 1\n").status == 200
        text = server.scrape().text
        assert 'edge_up{instance="box1",job="edge"} 1' in text
        assert "pushgateway_build_info{" in text
        log = scratch_root / "data" / "pushgateway.snap"
        assert os.stat(log).st_uid == NOBODY, "the log is written by the unprivileged user"
        server.proc.kill()
        server.proc.wait(timeout=harness.STOP_TIMEOUT_S)
    finally:
        server.stop()
    restarted = ScratchServer(scratch_root, flags).start()
    try:
        assert 'edge_up{instance="box1",job="edge"} 1' in restarted.scrape().text
    finally:
        restarted.stop()
