"""Data-driven differential runs: the same request sequence to ours and to upstream, compared.

A case is a table of steps. A `Step` is one request (method, path, body, headers); after each,
both servers must agree on the status, the comparable body (harness.comparable_body) and the
headers named in the step. A `Scrape` compares both expositions at that point (after a barrier
push, so queued DELETEs have landed). Every case ends with an implicit `Scrape`.

Where 1.5.1 and 1.11.3 differ, a case carries `since` (the first upstream release with the new
behaviour) and `expect` (what 1.11.3 does, asserted for ours alone); the comparison runs only
when the upstream binary is at least that version.
"""

import time
from dataclasses import dataclass, field

import harness

# Headers whose presence and value must agree on every step (spec §2.3, §2.2, §3).
DEFAULT_HEADERS = ("Allow", "Location", "Content-Type", "Content-Encoding", "X-Content-Type-Options")


@dataclass
class Step:
    method: str
    path: str
    body: object = None  # str | bytes | None (None: no body and no Content-Length)
    headers: dict = field(default_factory=dict)
    compare_headers: tuple = DEFAULT_HEADERS
    compare_body: bool = True


@dataclass
class Scrape:
    headers: dict = field(default_factory=dict)


@dataclass
class Expect:
    """What 1.11.3 answers, asserted against ours only.

    status: one code per Step (Scrape steps excluded), or None to not check.
    bodies: {step index: exact body text}.
    lines: sample lines that the final exposition must contain (timestamp families excluded).
    absent: family names that must not appear among pushed families.
    help: {family: HELP text}.
    types: {family: type}, read from the family's `# TYPE` line.
    """

    status: list = None
    bodies: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    absent: list = field(default_factory=list)
    help: dict = field(default_factory=dict)
    types: dict = field(default_factory=dict)  # {family: type as written on its TYPE line}
    headers: dict = field(default_factory=dict)  # {step index: {header: value}}


@dataclass
class Case:
    id: str
    steps: list
    args: tuple = ()  # extra server flags for both servers
    since: str = None  # upstream version that introduced the behaviour under test
    expect: Expect = None
    ignore_help: tuple = ()  # families whose HELP upstream picks at random (spec §8.2, §17 R4)
    checked: bool = True  # False when pushes are unchecked: no barrier, wait instead
    note: str = ""


def _settle(server, case):
    if case.checked:
        server.barrier()
    else:
        # Unchecked pushes and DELETEs answer 202 before they are applied; upstream applies them
        # within microseconds, so a short pause is enough and a barrier push would itself be
        # unchecked.
        time.sleep(0.3)


def _normalize_header(name, value):
    if value is not None and name == "Content-Type":
        # `; escaping=…` appeared in 1.8.0 (spec §8.4): asserted separately for ours.
        value = "; ".join(p for p in value.split("; ") if not p.startswith("escaping="))
    return value


def _compare_step(i, step, a, b):
    ctx = f"step {i}: {step.method} {step.path}"
    assert a.status == b.status, f"{ctx}: status ours={a.status} upstream={b.status}\nours body: {a.text!r}\nupstream body: {b.text!r}"
    if step.compare_body:
        assert harness.comparable_body(a) == harness.comparable_body(b), f"{ctx}: body differs"
    for name in step.compare_headers:
        ha = _normalize_header(name, a.header(name))
        hb = _normalize_header(name, b.header(name))
        assert ha == hb, f"{ctx}: header {name} ours={ha!r} upstream={hb!r}"


def _compare_scrape(i, case, scrape, ours, upstream):
    _settle(ours, case)
    _settle(upstream, case)
    a = ours.scrape(scrape.headers)
    b = upstream.scrape(scrape.headers)
    ctx = f"scrape after step {i}"
    assert a.status == b.status, f"{ctx}: status ours={a.status} upstream={b.status}\nours: {a.text[:2000]!r}\nupstream: {b.text[:2000]!r}"
    if a.status != 200:
        assert harness.comparable_body(a) == harness.comparable_body(b), f"{ctx}: error body differs"
        return
    assert harness.normalize_text(a.text, case.ignore_help) == harness.normalize_text(
        b.text, case.ignore_help
    ), f"{ctx}: text exposition differs"
    assert harness.normalize_parsed(a.text, case.ignore_help) == harness.normalize_parsed(
        b.text, case.ignore_help
    ), f"{ctx}: parsed exposition differs"


def run_differential(ours, upstream, case):
    steps = list(case.steps) + [Scrape()]
    for i, step in enumerate(steps):
        if isinstance(step, Scrape):
            _compare_scrape(i, case, step, ours, upstream)
            continue
        a = ours.request(step.method, step.path, step.body, step.headers)
        b = upstream.request(step.method, step.path, step.body, step.headers)
        _compare_step(i, step, a, b)


def run_expectations(ours, case):
    exp = case.expect
    requests = [s for s in case.steps if isinstance(s, Step)]
    for i, step in enumerate(requests):
        resp = ours.request(step.method, step.path, step.body, step.headers)
        ctx = f"step {i}: {step.method} {step.path}"
        if exp.status is not None:
            assert resp.status == exp.status[i], f"{ctx}: status {resp.status}, want {exp.status[i]}; body {resp.text!r}"
        if i in exp.bodies:
            assert resp.text == exp.bodies[i], f"{ctx}: body {resp.text!r}, want {exp.bodies[i]!r}"
        for name, value in exp.headers.get(i, {}).items():
            assert resp.header(name) == value, f"{ctx}: header {name} {resp.header(name)!r}, want {value!r}"
    _settle(ours, case)
    resp = ours.scrape()
    assert resp.status == 200, f"scrape answered {resp.status}: {resp.text}"
    lines = harness.sample_lines(resp.text)
    for line in exp.lines:
        assert line in lines, f"missing sample line {line!r}; pushed lines: {lines}"
    names = {name for (name, _, _, _) in harness.normalize_text(resp.text)}
    for name in exp.absent:
        assert name not in names, f"family {name} should not be exposed"
    for fam, text in exp.help.items():
        assert harness.help_of(resp.text, fam) == text
    for fam, typ in exp.types.items():
        assert f"# TYPE {fam} {typ}" in resp.text.split("\n"), f"family {fam} should be typed {typ}"
    harness.normalize_parsed(resp.text)  # the exposition must parse
