"""The arm64 build for edge boxes: the static aarch64-unknown-linux-musl binary that
`scripts/build-static arm64` cross-compiles, run under qemu-user (Debian's `qemu-user`, which
scripts/test installs): start, push, scrape, delete, and a restart from the persistence log.
"""

import shutil

import container
import harness

QEMU = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")


class QemuServer(harness.Server):
    def __init__(self, args=()):
        assert QEMU, "qemu-aarch64 not found: apt-get install qemu-user (scripts/test does)"
        super().__init__("ours-arm64", container.static_binary("arm64"), args)

    def argv(self, port):
        return [QEMU, *super().argv(port)]


def test_arm64_binary_is_statically_linked():
    container.assert_static(container.static_binary("arm64"), container.EM_AARCH64)


def test_arm64_binary_serves_under_qemu(tmp_path):
    flags = (f"--persistence.file={tmp_path / 'pushgateway.snap'}",)
    server = QemuServer(flags).start()
    try:
        assert 'goarch="arm64"' in server.scrape().text
        assert server.push("PUT", "/metrics/job/edge/instance/box1", "edge_up 1\n").status == 200
        assert server.push("PUT", "/metrics/job/edge/instance/box2", "edge_up 0\n").status == 200
        lines = harness.sample_lines(server.scrape().text)
        assert 'edge_up{instance="box1",job="edge"} 1' in lines
        assert 'edge_up{instance="box2",job="edge"} 0' in lines
        assert server.request("DELETE", "/metrics/job/edge/instance/box2").status == 202
        server.barrier()
        assert [line for line in harness.sample_lines(server.scrape().text) if line.startswith("edge_up")] == [
            'edge_up{instance="box1",job="edge"} 1']
        server.proc.kill()
        server.proc.wait(timeout=harness.STOP_TIMEOUT_S)
    finally:
        server.stop()
    restarted = QemuServer(flags).start()
    try:
        assert [line for line in harness.sample_lines(restarted.scrape().text) if line.startswith("edge_up")] == [
            'edge_up{instance="box1",job="edge"} 1'], "the log replays the push and the delete"
    finally:
        restarted.stop()
