"""Generated and mutated text-format push bodies for the differential fuzz test
(test_text_fuzz.py), and the rules that say which bodies 1.5.1 may answer differently from
1.11.3 or from us on purpose.

`body(rng)` is a valid-ish body: a few families with optional HELP and TYPE lines, samples with
labels, values in every float spelling, histograms and summaries with their suffixed series,
blank lines, comments and whitespace variants. Most come back mutated: bytes flipped, lines
dropped, duplicated or swapped, tokens from a dictionary of tricky spellings inserted or swapped
in, the final newline dropped. Everything is drawn from the `random.Random` given, so a seed
replays a run exactly.
"""

import re

# Metric names: ordinary ones, ones that differ only by a suffix (family resolution, §5.4),
# and ones that are invalid or odd.
NAMES = ["a", "b_total", "http_requests", "x:y", "_u", "h", "h_bucket", "h_count", "h_sum",
         "s", "s_count", "s_sum", "g"]
LABEL_NAMES = ["l", "path", "instance", "job", "le", "quantile", "_x", "__x", "a1"]
LABEL_VALUES = ["", "v", "1", "+Inf", "0.5", "a b", "ü", "\\\\", '\\"', "\\n", "=,}{x", "#"]
VALUES = ["0", "1", "-1", "2.5", "1e3", "1E3", "1e-3", ".5", "5.", "+3", "-0", "NaN", "nan",
          "Inf", "+Inf", "-Inf", "inf", "Infinity", "-infinity", "1e308", "4.9e-324",
          "123456789012345678", "0.1"]
TYPES = ["counter", "gauge", "untyped", "histogram", "summary", "COUNTER", "Gauge"]
HELPS = ["", "plain help", "with \\\\ backslash", "with \\n newline", "ü unicode", "  spaces  "]
BLANKS = [" ", " ", " ", "  ", "\t", " \t "]

# Tricky tokens the mutator inserts or swaps in.
DICTIONARY = [
    "\\", "\\\\", '\\"', "\\n", "\\x", '"', "{", "}", "{}", ",", "=", ",}", "#", "# ", "\n", "\r",
    "\t", " ", "NaN", "nan", "NAN", "Inf", "+Inf", "-Inf", "inf", "+inf", "infinity",
    "+Infinity", "1e999", "-1e999", "0x1p3", "0x10", "1_000", ".", "-", "+", "e", "1e", ".e1",
    "00", "1.5", "le", 'le="+Inf"', 'le="1"', 'le="x"', 'quantile="0.5"', 'quantile="x"',
    "__name__", '__name__="a"', "_sum", "_count", "_bucket", "_total", "# TYPE", "# HELP",
    "#HELP", "#TYPE", "# TYPE a counter", "# TYPE h histogram", "# TYPE s summary",
    "# TYPE a gauge", "# HELP a help", "# HELP a other", "# EOF", " 1700000000000",
    " -1700000000000", " 9223372036854775808", " 1.5", "ü", "\u00a0", "\u2028", "\x00",
    "instance", 'instance=""', 'job="j"', "a", ":", "_",
]
RAW_BYTES = [b"\xff", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]


def _blank(rng):
    return rng.choice(BLANKS) if rng.random() < 0.2 else " "


def _label_name(rng):
    """Mostly ordinary names; now and then one the parser or the check treats specially."""
    return rng.choice(LABEL_NAMES) if rng.random() < 0.1 else rng.choice(LABEL_NAMES[:3] + ["m", "n", "o"])


def _labels(rng, extra=()):
    """A label set; `extra` pairs (which tell series apart) come first and keep their names."""
    pairs = list(extra)
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        name = _label_name(rng)
        if all(name != n for n, _ in pairs) or rng.random() < 0.05:
            pairs.append((name, rng.choice(LABEL_VALUES)))
    rng.shuffle(pairs)
    if not pairs:
        return "" if rng.random() < 0.8 else "{}"
    inner = ",".join(f'{n}{_blank(rng) if rng.random() < 0.1 else ""}="{v}"' for n, v in pairs)
    if rng.random() < 0.1:
        inner += ","
    return "{" + inner + "}"


def _sample(rng, name, value=None, extra=()):
    value = value if value is not None else rng.choice(VALUES)
    line = f"{name}{_labels(rng, extra)}{_blank(rng)}{value}"
    if rng.random() < 0.02:
        line += " " + rng.choice(["1700000000000", "0", "-5"])
    if rng.random() < 0.03:
        line = rng.choice(BLANKS) + line
    return line


def _family(rng, base):
    typ = rng.choice(TYPES)
    lines = []
    if rng.random() < 0.4:
        lines.append(f"# HELP {base} {rng.choice(HELPS)}".rstrip(" ") if rng.random() < 0.9 else f"#HELP {base} x")
    if rng.random() < 0.7:
        lines.append(f"# TYPE {base} {typ}")
    kind = typ.lower()
    # Each series of the family gets its own `series` label: duplicates are the mutator's job.
    for n in range(rng.randint(1, 3)):
        series = [("series", str(n))]
        if kind == "histogram":
            count = rng.randint(0, 9)
            les = rng.sample(["0.1", "1", "2.5", rng.choice(["+Inf", "Inf"]), "1e3"], rng.randint(1, 4))
            for le in les:
                lines.append(_sample(rng, base + "_bucket", str(rng.randint(0, count)), series + [("le", le)]))
            lines.append(_sample(rng, base + "_sum", rng.choice(VALUES), series))
            lines.append(_sample(rng, base + "_count", str(count), series))
        elif kind == "summary":
            for q in rng.sample(["0", "0.5", "0.9", "0.99", "1"], rng.randint(0, 3)):
                lines.append(_sample(rng, base, rng.choice(VALUES), series + [("quantile", q)]))
            lines.append(_sample(rng, base + "_sum", rng.choice(VALUES), series))
            lines.append(_sample(rng, base + "_count", str(rng.randint(0, 9)), series))
        else:
            lines.append(_sample(rng, base, extra=series))
    return lines


def generate(rng):
    lines = []
    for base in rng.sample(NAMES, rng.randint(1, 4)):
        lines += _family(rng, base)
    if rng.random() < 0.1:
        lines.insert(rng.randint(0, len(lines)), rng.choice(["", "# a comment", "#", "  "]))
    if rng.random() < 0.1:
        rng.shuffle(lines)
    return ("\n".join(lines) + "\n").encode()


def mutate(rng, data):
    """One to three mutations of `data` (bytes)."""
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.randrange(9)
        lines = data.split(b"\n")
        if op == 0 and data:  # flip a byte
            i = rng.randrange(len(data))
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
        elif op == 1 and len(lines) > 1:  # drop a line
            del lines[rng.randrange(len(lines) - 1)]
            data = b"\n".join(lines)
        elif op == 2:  # duplicate a line
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif op == 3 and len(lines) > 2:  # swap two lines
            i, j = rng.randrange(len(lines) - 1), rng.randrange(len(lines) - 1)
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif op in (4, 5):  # insert a token
            token = rng.choice(DICTIONARY).encode() if op == 4 else rng.choice(RAW_BYTES)
            i = rng.randint(0, len(data))
            data = data[:i] + token + data[i:]
        elif op == 6:  # replace a blank-separated token
            parts = re.split(rb"([ \n{},=])", data)
            i = rng.randrange(len(parts))
            parts[i] = rng.choice(DICTIONARY).encode()
            data = b"".join(parts)
        elif op == 7 and data.endswith(b"\n"):  # lose the final newline
            data = data[:-1]
        elif op == 8:  # a whitespace variant
            i = rng.randint(0, len(data))
            data = data[:i] + rng.choice([b" ", b"\t", b"  ", b"\r", b"\r\n", b"\n\n"]) + data[i:]
    return data


def body(rng):
    data = generate(rng)
    return data if rng.random() < 0.4 else mutate(rng, data)


# ---------------------------------------------------------------------------------------------
# Where the answers may differ

# A label value as both versions read it: `=`, blanks, a quoted string with escapes.
_LABEL_VALUE = re.compile(rb'=[ \t]*"(?:[^"\\\n]|\\.)*"')
_HELP = re.compile(rb"^[ \t]*#[ \t]*HELP[ \t]")
_QUOTED_DIRECTIVE = re.compile(rb'^[ \t]*#[ \t]*(HELP|TYPE)[ \t]+[^ \t]*"')
_GAUGE_HISTOGRAM = re.compile(rb"^[ \t]*#[ \t]*TYPE[ \t].*gauge_?histogram", re.IGNORECASE)
_HISTOGRAM = re.compile(rb"^[ \t]*#[ \t]*TYPE[ \t].*histogram", re.IGNORECASE)
_COUNT_LINE = re.compile(rb"^[ \t]*[^#\s{]*_(bucket|count)\b")
_PLAIN_COUNT = re.compile(rb"^[0-9]+$")


def _sample_value(line):
    """The value token of a sample line, roughly: the first after the label set or the name."""
    tokens = line[line.rfind(b"}") + 1:].split() if b"}" in line else line.split()[1:]
    return tokens[0] if tokens else b""


def version_difference(data):
    """Why Debian's 1.5.1 may decide this body differently from 1.11.3 (which we follow), or
    None. Spec §5.4 and §15: names inside braces and quoted names (1.10.0), `\\"` in HELP
    (1.10.0), gauge histogram TYPEs and histogram counts that are not whole numbers (1.11.2).
    Rough on purpose: a body it wrongly flags is only not compared."""
    lines = data.split(b"\n")
    histogram = False
    for line in lines:
        stripped = line.lstrip(b" \t")
        if stripped.startswith(b"#"):
            if _HELP.match(line) and b'\\"' in line:
                return "1.10.0: \\\" in HELP"
            if _QUOTED_DIRECTIVE.match(line):
                return "1.10.0: metric name in quotes"
            if _GAUGE_HISTOGRAM.match(line):
                return "1.11.2: gauge histogram TYPE"
            histogram = histogram or bool(_HISTOGRAM.match(line))
            continue
        if stripped.startswith(b"{") or b'"' in _LABEL_VALUE.sub(b"", line):
            return "1.10.0: metric or label name in quotes or inside braces"
    if histogram:
        for line in lines:
            if _COUNT_LINE.match(line) and not _PLAIN_COUNT.match(_sample_value(line)):
                return "1.11.2: histogram count that is not a whole number"
    return None


def help_not_utf8(data):
    """A HELP line whose text is not valid UTF-8: we refuse the body (README, "Deliberate
    differences"); upstream stores the bytes."""
    for line in data.split(b"\n"):
        if _HELP.match(line):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return True
    return False
