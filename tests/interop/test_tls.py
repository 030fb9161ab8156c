"""`--web.config.file` with real peers: a real Prometheus scrapes ours over TLS with
`basic_auth` in its config; the Python client pushes over TLS with its `basic_auth_handler`;
and upstream 1.5.1, given the same file, answers bad credentials and plain HTTP on the TLS port
as ours does. Certificates are made by `openssl` in the test."""

import base64
import http.client
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

import pytest

import harness
from test_prometheus import Prometheus

# exporter-toolkit's own stand-in hash (bcrypt, cost 10) of this password: Go's bcrypt and ours
# both read it.
PASSWORD = "fakepassword"
HASH = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
OPENSSL_TIMEOUT_S = 30


def openssl(cwd, *args):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=OPENSSL_TIMEOUT_S)


@pytest.fixture
def pki():
    """A directory with ca.crt and a server certificate for 127.0.0.1 signed by it."""
    d = tempfile.mkdtemp(prefix="pgrs-tls-")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl(d, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=ca")
    openssl(d, "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=server")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "server.ext")
    with open(os.path.join(d, "web.yml"), "w") as f:
        f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                f"basic_auth_users:\n  alice: {HASH}\n")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def auth(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TlsServer(harness.Server):
    """A harness server whose every request goes over TLS, trusting `ca.crt` of `pki`."""

    def __init__(self, name, binary, pki):
        super().__init__(name, binary, [f"--web.config.file={os.path.join(pki, 'web.yml')}"])
        self.context = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))

    def request(self, method, path, body=None, headers=None, timeout=harness.HTTP_TIMEOUT_S):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.context)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return harness.Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def _wait_ready(self):
        deadline = time.monotonic() + harness.READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                resp = self.request("GET", "/-/ready", headers={"Authorization": auth("alice", PASSWORD)}, timeout=2)
                if resp.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready over TLS:\n{self.log_tail()}")


@pytest.fixture
def tls_server(pki):
    yield from harness.server_factory(lambda kind, binary: TlsServer(kind, binary, pki))


PROMETHEUS_TLS_CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: pushgateway-tls
    honor_labels: true
    scheme: https
    tls_config:
      ca_file: {ca}
    basic_auth:
      username: alice
      password: {password}
    static_configs:
      - targets: ['127.0.0.1:{port}']
"""


@pytest.mark.timeout(180)
def test_prometheus_scrapes_over_tls_with_basic_auth(tls_server, pki):
    ours = tls_server("ours")
    resp = ours.request("PUT", "/metrics/job/tls_job/instance/i1", "tls_scraped 42\n",
                        {"Authorization": auth("alice", PASSWORD)})
    assert resp.status == 200, resp.text
    config = PROMETHEUS_TLS_CONFIG.replace("{ca}", os.path.join(pki, "ca.crt")).replace("{password}", PASSWORD)
    prom = Prometheus(config.replace("{port}", str(ours.port)))
    try:
        prom.wait_ready()
        result = prom.wait_for("tls_scraped", 1)
        assert result[0]["metric"]["job"] == "tls_job"
        assert result[0]["metric"]["instance"] == "i1"
        assert result[0]["value"][1] == "42"
        up = prom.wait_for('up{job="pushgateway-tls"} == 1', 1)
        assert up, prom.targets()
    finally:
        prom.stop()


PYTHON_PUSH = """
import sys
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway
from prometheus_client.exposition import basic_auth_handler

url, password = sys.argv[1], sys.argv[2]
registry = CollectorRegistry()
Gauge("python_tls_pushed", "pushed by the Python client", registry=registry).set(7)

def handler(url, method, timeout, headers, data):
    return basic_auth_handler(url, method, timeout, headers, data, "alice", password)

push_to_gateway(url, job="python_tls", registry=registry, handler=handler, timeout=10)
"""


def test_python_client_pushes_over_tls_with_basic_auth(tls_server, pki):
    ours = tls_server("ours")
    url = f"https://127.0.0.1:{ours.port}"
    # The client's default HTTPS handler trusts the system store: point it at our CA.
    env = dict(os.environ, SSL_CERT_FILE=os.path.join(pki, "ca.crt"))
    run = subprocess.run([sys.executable, "-c", PYTHON_PUSH, url, PASSWORD], env=env,
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    wrong = subprocess.run([sys.executable, "-c", PYTHON_PUSH, url, "wrong"], env=env,
                           capture_output=True, text=True, timeout=30)
    assert wrong.returncode != 0 and "401" in wrong.stderr, wrong.stderr
    resp = ours.request("GET", "/metrics", headers={"Authorization": auth("alice", PASSWORD)})
    assert 'python_tls_pushed{instance="",job="python_tls"} 7' in harness.sample_lines(resp.text)


@pytest.mark.parametrize("authorization", [None, auth("alice", "wrong"), auth("nobody", PASSWORD), "Basic %%%"],
                         ids=["missing", "wrong-password", "unknown-user", "malformed"])
def test_refusals_match_upstream(tls_server, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    answers = []
    for kind in ("ours", "upstream"):
        server = tls_server(kind)
        resp = server.request("PUT", "/metrics/job/denied", "denied 1\n", headers)
        answers.append((resp.status, resp.header("WWW-Authenticate"), resp.header("Content-Type"), resp.body))
        scrape = server.request("GET", "/metrics", headers={"Authorization": auth("alice", PASSWORD)})
        assert "denied" not in scrape.text
    assert answers[0] == answers[1]
    assert answers[0][:2] == (401, "Basic")


def test_plain_http_on_the_tls_port_matches_upstream(tls_server):
    replies = []
    for kind in ("ours", "upstream"):
        server = tls_server(kind)
        replies.append(harness.http_request(server.port, "GET", "/metrics"))
    assert [(r.status, r.body) for r in replies] == [(400, b"Client sent an HTTP request to an HTTPS server.\n")] * 2
