"""The hardened image without a Docker engine (Dockerfile, issue 6): the static musl binary alone
in an otherwise empty root (no /etc, /tmp, shell or libc), run as UID 65534 like the image's
USER, with exactly the flags and volume of each `docker run` the README shows.
"""

import json
import os
import subprocess

import pytest

import container
import harness


def test_binary_is_statically_linked():
    container.assert_static(container.static_binary("amd64"), container.EM_X86_64)


@pytest.fixture
def image_root(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("chroot needs root (CI runs as root)")
    return container.make_image_root(tmp_path / "root", container.static_binary("amd64"))


def test_image_root_holds_the_binary_and_nothing_else(image_root):
    assert sorted(os.listdir(image_root)) == ["bin", "data", "pushgateway"]
    assert os.listdir(image_root / "bin") == ["pushgateway"]
    assert os.listdir(image_root / "pushgateway") == os.listdir(image_root / "data") == []
    no_shell = subprocess.run(["chroot", f"--userspec={container.NOBODY}:{container.NOBODY}", image_root,
                               "/bin/sh", "-c", "true"], capture_output=True, text=True, timeout=10)
    assert no_shell.returncode == 127, no_shell  # chroot: failed to run command '/bin/sh'
    version = subprocess.run(["chroot", f"--userspec={container.NOBODY}:{container.NOBODY}", image_root,
                              "/bin/pushgateway", "--version"], capture_output=True, text=True, timeout=10)
    assert version.returncode == 0 and version.stdout.startswith("pushgateway, version "), version


PUSHED_LINE = 'some_metric{instance="",job="some_job"} 3.14'


@pytest.mark.parametrize("run", container.readme_docker_runs(), ids=lambda run: " ".join(run[2]) or "plain")
def test_readme_docker_run(image_root, run):
    ports, volumes, flags = run
    exposed = container.exposed_port()
    (image_volume,) = container.exec_form(container.instruction_values(container.runtime_stage()[1], "VOLUME")[0])
    assert [p.rsplit(":", 1)[1] for p in ports] == [str(exposed)], "publish the port the image exposes"
    assert all(v.split(":")[1] == image_volume for v in volumes), f"mount on the image's volume {image_volume}"
    log = harness.flag_value(flags, "--persistence.file", "")
    assert bool(log) == bool(volumes), "a volume when, and only when, the store is persisted"
    if log:
        assert log.startswith(image_volume + "/")

    server = container.ImageServer(image_root, flags).start()
    try:
        container.push_as_readme_shows(server.port)
        assert PUSHED_LINE in server.scrape().text
        status = json.loads(server.request("GET", "/api/v1/status").body)["data"]["flags"]
        for flag in flags:
            name, _, value = flag[2:].partition("=")
            assert status[name] == (value or "true"), f"{flag} did not reach the binary"
        if not log:
            return
        assert os.stat(image_root / log.lstrip("/")).st_uid == container.NOBODY, "written by the image's user"
        server.proc.kill()
        server.proc.wait(timeout=harness.STOP_TIMEOUT_S)
    finally:
        server.stop()
    restarted = container.ImageServer(image_root, flags).start()
    try:
        assert PUSHED_LINE in restarted.scrape().text, "the push survives kill -9 in the volume"
    finally:
        restarted.stop()
