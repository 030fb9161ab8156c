"""Differential fuzzing of the text parser: thousands of generated and mutated push bodies
(text_fuzz.py), each PUT to one group of ours and of upstream; both must take the same decision
(200 or 400, with the same parse error message) and, when both accept, expose the same series
(harness.normalize_text).

Seeded and bounded: PGRS_TEXT_FUZZ_SEED (default 1) and PGRS_TEXT_FUZZ_CASES (default 2000)
replay a run exactly; a failure prints each differing body with its seed and case number.
The group is deleted before every case (queued before the PUT on upstream too), so cases do
not depend on each other.

Bodies 1.5.1 may answer differently from 1.11.3 (text_fuzz.version_difference) are not
compared: we must still answer 200 or 400 and keep scraping. A HELP that is not UTF-8 is our
documented deviation: we must refuse it.
"""

import difflib
import os
import random
import re
from collections import Counter

import harness
import text_fuzz

SEED = int(os.environ.get("PGRS_TEXT_FUZZ_SEED", "1"))
CASES = int(os.environ.get("PGRS_TEXT_FUZZ_CASES", "2000"))
GROUP = "/metrics/job/fuzz"
FAILURES_SHOWN = 10


def _put(server, data):
    server.request("DELETE", GROUP)
    return server.request("PUT", GROUP, data)


def _case(ours, upstream, data, stats):
    """None if the servers agree as they must on `data`, else what went wrong."""
    a = _put(ours, data)
    if a.status not in (200, 400):
        return f"ours answered {a.status}: {a.text!r}"
    reason = text_fuzz.version_difference(data)
    if reason is not None:
        stats[f"not compared ({reason})"] += 1
        scrape = ours.scrape()
        return None if scrape.status == 200 else f"ours then failed to scrape: {scrape.text!r}"
    if text_fuzz.help_not_utf8(data):
        stats["HELP not UTF-8: refused by ours"] += 1
        return None if a.status == 400 else f"ours accepted a HELP that is not UTF-8 ({a.status})"
    b = _put(upstream, data)
    if a.status != b.status:
        return f"status ours={a.status} upstream={b.status}\nours: {a.text!r}\nupstream: {b.text!r}"
    stats[f"compared, both {a.status}"] += 1
    if a.status != 200:
        if _reason(a) != _reason(b):
            return f"rejected for another reason\nours: {a.text!r}\nupstream: {b.text!r}"
        return None
    mine, theirs = (_families(s.scrape().text) for s in (ours, upstream))
    if mine != theirs:
        diff = difflib.unified_diff(_flat(theirs), _flat(mine), "upstream", "ours", lineterm="")
        return "exposition differs:\n" + "\n".join(diff)
    return None


def _reason(resp):
    """A parse error exactly (message and line number); a refusal by the consistency check
    only as such: which of several problems upstream lists depends on its map order (§6.1)."""
    return "consistency check" if resp.text.startswith(harness.REJECT_PREFIX) else resp.text


_ESCAPE = re.compile(r"\\(.)")


def _series(labels, typ):
    """The label pairs of the series a line belongs to: `le` and `quantile` name the line
    within a histogram or summary series."""
    own = {"histogram": "le", "summary": "quantile"}.get(typ)
    return tuple(sorted((n, _ESCAPE.sub(lambda m: "\n" if m[1] == "n" else m[1], v)) for n, v in labels if n != own))


def _families(text):
    """The pushed families (harness.normalize_text) with each family's series in a canonical
    order. Upstream orders series by label count, then values in label-name order, and leaves
    ties unspecified (spec §8.3); so series are compared sorted by (that key, lines), and that
    they are in key order is asserted here."""
    out = []
    for name, help_line, type_line, lines in harness.normalize_text(text):
        typ = type_line.split(" ")[3] if type_line else "untyped"
        series = []  # [pairs, lines]: consecutive lines of one series
        for line in lines:
            pairs = _series(harness.split_sample_line(line)[1], typ)
            if series and series[-1][0] == pairs and typ in ("histogram", "summary"):
                series[-1][1].append(line)
            else:
                series.append([pairs, [line]])
        keys = [(len(pairs), [v for _, v in pairs]) for pairs, _ in series]
        assert keys == sorted(keys), f"series of {name} out of order:\n" + "\n".join(lines)
        out.append((name, help_line, type_line, sorted((k, tuple(ls)) for k, (_, ls) in zip(keys, series))))
    return out


def _flat(families):
    return [line for name, h, t, series in families for line in (h, t, *(l for _, ls in series for l in ls)) if line]


def test_text_bodies_are_decided_and_stored_as_upstream_does(ours, upstream):
    rng = random.Random(SEED)
    stats = Counter()
    failures = []
    for i in range(CASES):
        data = text_fuzz.body(rng)
        problem = _case(ours, upstream, data, stats)
        if problem is not None:
            failures.append(f"case {i} (seed {SEED}), body {data!r}:\n{problem}")
    print(f"{CASES} bodies, seed {SEED}:", dict(sorted(stats.items())))
    assert not failures, f"{len(failures)} of {CASES} bodies differ:\n\n" + "\n\n".join(failures[:FAILURES_SHOWN])
    compared = sum(n for k, n in stats.items() if k.startswith("compared"))
    # The generator must keep producing bodies both versions read alike, or the test is hollow.
    assert compared >= CASES // 2, f"only {compared} of {CASES} bodies compared: {dict(stats)}"
    assert stats["compared, both 200"] >= CASES // 10, f"too few accepted bodies: {dict(stats)}"
