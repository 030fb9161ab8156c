"""Black-box harness shared by the interop suite: start and stop servers, speak HTTP, read expositions.

What it owns: launching a Pushgateway binary (ours or upstream) on a free loopback port with a
bounded wait for `GET /-/ready`, stopping it by PID (never by name), exact-control HTTP requests
through the stdlib, and turning a text exposition into a comparable form.

What it must never do: wait without a deadline, kill anything it did not start, or depend on
anything outside the stdlib and `prometheus_client` (whose parser is the independent reader of
our output).
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Ours: the release binary that scripts/test builds. PGRS_BIN points the whole suite at another
# binary (e.g. upstream, to validate the harness itself).
OURS_BIN = os.environ.get("PGRS_BIN") or os.path.join(REPO_ROOT, "target", "release", "pushgateway")
UPSTREAM_BIN = os.environ.get("PGRS_UPSTREAM_BIN") or "/usr/bin/prometheus-pushgateway"

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
HTTP_TIMEOUT_S = 10.0

# Families the server exports about itself; they differ between implementations by design.
OWN_PREFIXES = ("go_", "process_", "pushgateway_")
TIMESTAMP_FAMILIES = ("push_time_seconds", "push_failure_time_seconds")

# A checked push is answered only after every earlier write is applied, so an empty POST to a
# private group is a barrier that makes earlier DELETEs visible. Its group is hidden from
# comparisons.
BARRIER_JOB = "zz_interop_barrier"

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROTOBUF_CONTENT_TYPE = (
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
)


def die_with_parent():
    """Popen preexec_fn: the child gets SIGKILL if the test runner dies, so a killed run never
    leaves servers behind (Linux prctl PR_SET_PDEATHSIG)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def free_port():
    """A loopback port that was free a moment ago (the server start retries on a lost race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name):
        """The header's value, several values joined with ', ', or None when absent."""
        values = self.headers.get_all(name)
        return None if values is None else ", ".join(values)

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")


def http_request(port, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
    """One request on a fresh connection. The path is sent byte for byte as given; only the
    headers given (plus Host, and Content-Length when there is a body) are sent."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.headers, data)
    finally:
        conn.close()


def server_factory(make):
    """For a fixture to `yield from`: start(kind, *args, **kwargs) → make(kind, binary, *args,
    **kwargs), started (a failed start fails the test with its log); every server started is
    stopped, by PID, when the test ends. kind is "ours" or "upstream"."""
    started = []

    def start(kind, *args, **kwargs):
        binary = {"ours": OURS_BIN, "upstream": UPSTREAM_BIN}[kind]
        server = make(kind, binary, *args, **kwargs)
        started.append(server)
        try:
            return server.start()
        except RuntimeError as e:
            error = str(e)
        pytest.fail(error, pytrace=False)

    yield start
    for server in reversed(started):
        server.stop()


class Server:
    """A Pushgateway process on 127.0.0.1:<port>, started with a bounded readiness wait."""

    def __init__(self, name, binary, args=(), env=None):
        self.name = name
        # Extra environment variables (e.g. TZ) on top of the test's own environment.
        self.env = dict(os.environ, **env) if env else None
        self.binary = binary
        self.extra_args = list(args)
        self.proc = None
        self.port = None
        self.log_path = None
        self.prefix = route_prefix(self.extra_args)
        self.telemetry_path = self.prefix + flag_value(self.extra_args, "--web.telemetry-path", "/metrics")

    def argv(self, port):
        # Debian's build defaults persistence to a system path: always say "memory only" unless
        # the caller chose a file.
        args = list(self.extra_args)
        if not any(a.startswith("--persistence.file") for a in args):
            args.append("--persistence.file=")
        return [self.binary, f"--web.listen-address=127.0.0.1:{port}", *args]

    def start(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise RuntimeError(
                f"{self.name} binary not found or not executable: {self.binary} "
                "(run scripts/test, which builds it, or set PGRS_BIN / PGRS_UPSTREAM_BIN)"
            )
        last_error = None
        for _ in range(3):
            port = free_port()
            fd, self.log_path = tempfile.mkstemp(prefix=f"pgrs-{self.name}-", suffix=".log")
            with os.fdopen(fd, "wb") as log:
                self.proc = subprocess.Popen(
                    self.argv(port),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent,
                    env=self.env,
                )
            self.port = port
            try:
                self._wait_ready()
                return self
            except RuntimeError as e:
                last_error = e
                self.stop()
        raise last_error

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with status {self.proc.returncode} before it was ready:\n"
                    + self.log_tail()
                )
            try:
                ready = http_request(self.port, "GET", self.prefix + "/-/ready", timeout=1.0).status == 200
                # A process that already exited did not answer: another one owns the port.
                if ready and self.proc.poll() is None:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT_S}s:\n" + self.log_tail())

    def log_tail(self, max_bytes=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-max_bytes:].decode("utf-8", errors="replace")
        except OSError:
            return "(no log)"

    def stop(self):
        """SIGTERM this process (by PID), then SIGKILL it if it has not exited in time."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        self.proc = None
        if self.log_path:
            try:
                os.unlink(self.log_path)
            except OSError:
                pass
            self.log_path = None

    def request(self, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
        # Go answers a request it refuses at the request line (`GET /metrics/job/%zz`,
        # `PUT /metrics/job/a%2` with a body) and closes without reading the rest; the close can
        # reach us as a reset before the answer is read. An idempotent request (RFC 9110) is
        # asked again, at most four more times after a short pause; a POST is not.
        attempts = 5 if method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS") else 1
        for attempt in range(attempts):
            try:
                return http_request(self.port, method, path, body, headers, timeout)
            except ConnectionResetError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def push(self, method, path, body="", headers=None):
        return self.request(method, path, body, headers)

    def barrier(self):
        """Returns once every write queued before it has been applied (checked mode only)."""
        resp = self.request("POST", f"{self.prefix}/metrics/job/{BARRIER_JOB}", b"")
        assert resp.status in (200, 400), f"barrier push answered {resp.status}: {resp.text}"

    def scrape(self, headers=None):
        return self.request("GET", self.telemetry_path, headers=headers)

    def families(self):
        """The parsed exposition (prometheus_client's parser), after a barrier."""
        self.barrier()
        resp = self.scrape()
        assert resp.status == 200, f"{self.name} scrape answered {resp.status}: {resp.text}"
        return list(text_string_to_metric_families(resp.text))


def flag_value(args, name, default):
    for arg in args:
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return default


def route_prefix(args):
    """Where the routes live (spec §2.4): --web.route-prefix, else the external URL's path;
    with a leading and without a trailing slash, "" for the root."""
    prefix = flag_value(args, "--web.route-prefix", "")
    if not prefix:
        prefix = urllib.parse.urlparse(flag_value(args, "--web.external-url", "")).path
    prefix = "/" + prefix.strip("/")
    return "" if prefix == "/" else prefix


def upstream_version(binary=UPSTREAM_BIN):
    """(major, minor, patch) from `--version` (1.5.1 prints it to stderr, 1.9+ to stdout)."""
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
    )
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out.stdout + out.stderr)
    assert m, f"cannot read the version of {binary}: {out.stdout!r} {out.stderr!r}"
    return tuple(int(x) for x in m.groups())


def parse_version(s):
    return tuple(int(x) for x in s.split("."))


# ---------------------------------------------------------------------------------------------
# Exposition comparison

_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def split_sample_line(line):
    """`name{l="v",…} value` → (name, [(label, raw escaped value)…], value text)."""
    m = _NAME_RE.match(line)
    assert m, f"not a sample line: {line!r}"
    name, rest = m.group(0), line[m.end():]
    labels = []
    if rest.startswith("{"):
        rest = rest[1:]
        while not rest.startswith("}"):
            lm = _LABEL_RE.match(rest)
            assert lm, f"cannot read labels of sample line: {line!r}"
            labels.append((lm.group(1), lm.group(2)))
            rest = rest[lm.end():]
        rest = rest[1:]
    return name, labels, rest.strip()


def _family_of_line(name, current_family):
    return current_family if current_family and name.startswith(current_family) else name


def _is_own(name):
    return name.startswith(OWN_PREFIXES)


def normalize_text(text, ignore_help=()):
    """A comparable view of a 0.0.4 text exposition.

    Kept: every family that holds pushed series (own families keep only their pushed series,
    which always carry `job`; the barrier group is dropped), in exposition order, with its
    HELP/TYPE lines and its sample lines in order. The two timestamp families keep only whether
    the value is zero.
    """
    families = {}  # name -> {"help": line|None, "type": line|None, "lines": [..]}
    order = []
    current = None
    pending_help = {}
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            pending_help[name] = line
            continue
        if line.startswith("# TYPE "):
            current = line.split(" ", 3)[2]
            families[current] = {"help": pending_help.pop(current, None), "type": line, "lines": []}
            order.append(current)
            continue
        if line.startswith("#"):
            continue
        name, labels, value = split_sample_line(line)
        fam = _family_of_line(name, current)
        label_map = dict(labels)
        if label_map.get("job") == BARRIER_JOB:
            continue
        if _is_own(fam) and "job" not in label_map:
            continue
        if fam in TIMESTAMP_FAMILIES:
            value = "<zero>" if float(value) == 0 else "<nonzero>"
            line = line[: line.rindex(" ")] + " " + value
        if fam not in families:  # a sample without a TYPE line (never written by upstream)
            families[fam] = {"help": pending_help.pop(fam, None), "type": None, "lines": []}
            order.append(fam)
        families[fam]["lines"].append(line)
    result = []
    for name in order:
        fam = families[name]
        if not fam["lines"]:
            continue
        help_line = None if name in ignore_help else fam["help"]
        if _is_own(name):
            help_line = None  # own HELP text is the server's business (spec §6.5(2))
        result.append((name, help_line, fam["type"], tuple(fam["lines"])))
    return result


def normalize_parsed(text, ignore_help=()):
    """The same exposition as read by prometheus_client's parser: (name, type, help, samples)."""
    out = []
    for fam in text_string_to_metric_families(text):
        samples = []
        for s in fam.samples:
            if s.labels.get("job") == BARRIER_JOB:
                continue
            if _is_own(fam.name) and "job" not in s.labels:
                continue
            value = s.value
            if fam.name in TIMESTAMP_FAMILIES:
                value = "<zero>" if value == 0 else "<nonzero>"
            elif value != value:
                value = "NaN"
            samples.append((s.name, tuple(sorted(s.labels.items())), value))
        if not samples:
            continue
        doc = "" if (fam.name in ignore_help or _is_own(fam.name)) else fam.documentation
        out.append((fam.name, fam.type, doc, tuple(samples)))
    return out


def sample_lines(text):
    """The sample lines of pushed series (no own series, no barrier), values as written."""
    return [line for (_, _, _, lines) in normalize_text(text) for line in lines]


def help_of(text, family):
    for line in text.split("\n"):
        if line.startswith(f"# HELP {family} "):
            return line[len(f"# HELP {family} "):]
    return None


# ---------------------------------------------------------------------------------------------
# Push rejection messages

REJECT_PREFIX = "pushed metrics are invalid or inconsistent with existing metrics: "
SCRAPE_ERROR_PREFIX = "An error has occurred while serving metrics:\n\n"

# The consistency error names the offending series in Go's protobuf text form and, when two
# groups clash, which side is reported depends on upstream's map order. A replacement only has
# to give the prefix and the same kind of reason (spec §6.1), so messages are compared by kind.
_REASON_KINDS = [
    ("timestamps", re.compile(r"pushed metrics must not have timestamps")),
    ("type", re.compile(r'collected metric "[^"]*" .* is not a [A-Z_]+$')),
    ("duplicate", re.compile(r"was collected before with the same name and label values")),
    ("collision", re.compile(r"collides with previously collected")),
    ("label-name", re.compile(r"has a label with an invalid name")),
    ("label-value", re.compile(r"whose value is not utf8")),
    ("quantile-label", re.compile(r'must not have an explicit "quantile" label')),
    ("own-type", re.compile(r"gathered metric family \S+ has type")),
    ("own-help", re.compile(r"gathered metric family \S+ has help")),
]


def reason_kinds(message):
    kinds = set()
    for line in message.split("\n"):
        for kind, pattern in _REASON_KINDS:
            if pattern.search(line):
                kinds.add(kind)
    return kinds


def comparable_body(resp):
    """The part of a response body that must agree between implementations."""
    text = resp.text
    for prefix in (REJECT_PREFIX, SCRAPE_ERROR_PREFIX):
        if text.startswith(prefix):
            kinds = reason_kinds(text[len(prefix):])
            assert kinds, f"unrecognised rejection reason: {text!r}"
            return (prefix, tuple(sorted(kinds)))
    return text


# ---------------------------------------------------------------------------------------------
# Delimited protobuf (io.prometheus.client.MetricFamily), hand-encoded: the Go client pushes it.

COUNTER, GAUGE, SUMMARY, UNTYPED, HISTOGRAM = 0, 1, 2, 3, 4


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field_bytes(num, payload):
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _field_varint(num, n):
    return _varint(num << 3) + _varint(n)


def _field_double(num, x):
    import struct

    return _varint(num << 3 | 1) + struct.pack("<d", x)


def pb_metric(labels=(), value=None, typ=UNTYPED, summary=None, histogram=None, timestamp_ms=None):
    """labels: [(name, value)]; summary: (count, sum, [(q, v)]); histogram: (count, sum, [(le, cum)])."""
    out = b"".join(
        _field_bytes(1, _field_bytes(1, n.encode()) + _field_bytes(2, v.encode())) for n, v in labels
    )
    if typ in (COUNTER, GAUGE, UNTYPED) and value is not None:
        field = {GAUGE: 2, COUNTER: 3, UNTYPED: 5}[typ]
        out += _field_bytes(field, _field_double(1, value))
    if summary is not None:
        count, total, quantiles = summary
        body = _field_varint(1, count) + _field_double(2, total)
        body += b"".join(_field_bytes(3, _field_double(1, q) + _field_double(2, v)) for q, v in quantiles)
        out += _field_bytes(4, body)
    if histogram is not None:
        count, total, buckets = histogram
        body = _field_varint(1, count) + _field_double(2, total)
        body += b"".join(_field_bytes(3, _field_varint(1, c) + _field_double(2, le)) for le, c in buckets)
        out += _field_bytes(7, body)
    if timestamp_ms is not None:
        out += _field_varint(6, timestamp_ms)
    return out


def pb_family(name, typ, metrics, help_text=None):
    msg = _field_bytes(1, name.encode())
    if help_text is not None:
        msg += _field_bytes(2, help_text.encode())
    msg += _field_varint(3, typ)
    msg += b"".join(_field_bytes(4, m) for m in metrics)
    return _varint(len(msg)) + msg


# ---------------------------------------------------------------------------------------------
# Snappy framed format (Content-Encoding: snappy), built by hand: python-snappy is not needed.

SNAPPY_STREAM_IDENTIFIER = b"\xff\x06\x00\x00sNaPpY"


def crc32c(data):
    """CRC-32C (Castagnoli), bit by bit: the checksum of the snappy framing format."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def snappy_chunk(kind, data, block=None, corrupt_crc=False):
    """One data chunk (kind 0: compressed `block`, kind 1: `data` as is) with the masked
    CRC-32C of the uncompressed `data`."""
    crc = crc32c(data)
    masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    if corrupt_crc:
        masked ^= 1
    payload = masked.to_bytes(4, "little") + (data if block is None else block)
    return bytes([kind]) + len(payload).to_bytes(3, "little") + payload


def snappy_framed(data, corrupt_crc=False):
    """A framed stream of uncompressed chunks (64 KiB each), which every reader accepts."""
    chunks = (snappy_chunk(1, data[i:i + 65536], corrupt_crc=corrupt_crc) for i in range(0, len(data), 65536))
    return SNAPPY_STREAM_IDENTIFIER + b"".join(chunks)


def snappy_zeros_block():
    """A compressed snappy block of 65536 zero bytes (~3 KiB): a one-byte literal, then copies
    of 64 bytes (and one of 63) at offset 1. The building brick of a snappy bomb."""
    block = bytearray(b"\x80\x80\x04")  # varint 65536
    block += b"\x00\x00"  # literal of length 1: one zero byte
    left = 65535
    while left:
        n = min(left, 64)
        block += bytes([((n - 1) << 2) | 2, 1, 0])  # copy with a 2-byte offset of 1
        left -= n
    return bytes(block)
