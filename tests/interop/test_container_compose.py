"""The compose example (examples/compose) minus Docker: its files must agree with the Dockerfile
and the README, and its set-up must work: the gateway as the image runs it (chroot, UID 65534,
the compose `command`), a real Prometheus (Debian's) with the example prometheus.yml, its
targets rewritten to loopback, and a push made exactly as the README shows.
"""

import os
import subprocess

import pytest
import yaml

import container
import harness
from test_prometheus import Prometheus

COMPOSE_FILE = os.path.join(container.COMPOSE_DIR, "docker-compose.yml")
PROMETHEUS_FILE = os.path.join(container.COMPOSE_DIR, "prometheus.yml")
GATEWAY_SERVICE = "pushgateway"


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def gateway_service():
    return load(COMPOSE_FILE)["services"][GATEWAY_SERVICE]


def gateway_scrape_configs(config):
    """The scrape configs whose targets include the gateway service."""
    exposed = container.exposed_port()
    return [job for job in config["scrape_configs"]
            if any(f"{GATEWAY_SERVICE}:{exposed}" in sc["targets"] for sc in job["static_configs"])]


def test_gateway_service_agrees_with_the_dockerfile_and_readme():
    compose = load(COMPOSE_FILE)
    service = compose["services"][GATEWAY_SERVICE]
    build = service["build"]
    assert os.path.samefile(os.path.join(container.COMPOSE_DIR, build["context"], build["dockerfile"]),
                            container.DOCKERFILE)
    assert service["image"] == container.IMAGE_NAME, "the name the README's docker run uses"
    exposed = container.exposed_port()
    assert [str(p).rsplit(":", 1)[1] for p in service["ports"]] == [str(exposed)]
    (image_volume,) = container.exec_form(container.instruction_values(container.runtime_stage()[1], "VOLUME")[0])
    (volume,) = service["volumes"]
    name, target = volume.split(":")
    assert target == image_volume
    assert name in compose["volumes"], "a named volume, which starts owned like the image's /data"
    log = harness.flag_value(service["command"], "--persistence.file", "")
    assert log.startswith(image_volume + "/"), "the store is persisted in the volume"
    assert "entrypoint" not in service, "flags go to the image's entrypoint"


def test_prometheus_service_mounts_the_example_config():
    prometheus = load(COMPOSE_FILE)["services"]["prometheus"]
    assert "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    assert GATEWAY_SERVICE in prometheus["depends_on"]
    (job,) = gateway_scrape_configs(load(PROMETHEUS_FILE))
    assert job["honor_labels"] is True
    check = subprocess.run(["promtool", "check", "config", PROMETHEUS_FILE], capture_output=True, text=True,
                           timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.fixture
def compose_gateway(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("chroot needs root (CI runs as root)")
    root = container.make_image_root(tmp_path / "root", container.static_binary("amd64"))
    server = container.ImageServer(root, gateway_service()["command"])
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.mark.timeout(180)
def test_compose_setup_stores_the_pushed_job(compose_gateway):
    config = load(PROMETHEUS_FILE)
    # Loopback instead of the compose network; a 1 s interval instead of 15 s, to keep CI short.
    config["global"]["scrape_interval"] = config["global"]["evaluation_interval"] = "1s"
    for job in gateway_scrape_configs(config):
        for static_config in job["static_configs"]:
            static_config["targets"] = [f"127.0.0.1:{compose_gateway.port}"]
    prometheus = Prometheus(yaml.safe_dump(config))
    try:
        prometheus.wait_ready()
        container.push_as_readme_shows(compose_gateway.port)
        (series,) = prometheus.wait_for("some_metric", 1)
        assert series["metric"] == {"__name__": "some_metric", "job": "some_job"}
        assert series["value"][1] == "3.14"
    finally:
        prometheus.stop()
