"""What the container tests share (test_container*.py): the static binaries scripts/build-static
makes, the image's file layout rebuilt in a directory and run with chroot, an ELF reader, and
a reader for the Dockerfile and the README's container section.

No Docker engine runs here, so the tests check what the image relies on: the binary alone in an
empty root as UID 65534, and the files (Dockerfile, compose example, README) that promise it.
"""

import json
import os
import re
import shlex
import shutil
import struct
import subprocess

import harness

NOBODY = 65534
IMAGE_DIRS = ("pushgateway", "data")  # owned by NOBODY in the image, next to /bin
DOCKERFILE = os.path.join(harness.REPO_ROOT, "Dockerfile")
README = os.path.join(harness.REPO_ROOT, "README.md")
COMPOSE_DIR = os.path.join(harness.REPO_ROOT, "examples", "compose")

TRIPLES = {"amd64": "x86_64-unknown-linux-musl", "arm64": "aarch64-unknown-linux-musl"}


def static_binary(arch):
    """The release binary `scripts/build-static ARCH` builds (scripts/test runs it)."""
    path = os.path.join(harness.REPO_ROOT, "target", TRIPLES[arch], "release", "pushgateway")
    assert os.access(path, os.X_OK), f"{path} missing: run scripts/build-static {arch} (scripts/test does)"
    return path


# ---------------------------------------------------------------------------------------------
# The image's root, without Docker


def make_image_root(root, binary):
    """`root` laid out as the image: /bin/pushgateway (root-owned) and the empty /pushgateway
    and /data owned by NOBODY; nothing else."""
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy(binary, os.path.join(root, "bin", "pushgateway"))
    for owned in IMAGE_DIRS:
        os.mkdir(os.path.join(root, owned))
        os.chown(os.path.join(root, owned), NOBODY, NOBODY)
    os.chmod(root, 0o755)  # the image's / : NOBODY may look, not write
    return root


class ImageServer(harness.Server):
    """The image's entrypoint with the flags given after the image name, started as
    `chroot --userspec=65534:65534 ROOT /bin/pushgateway FLAGS` (the image's USER and root)."""

    def __init__(self, root, args):
        super().__init__("ours-image", os.path.join(root, "bin", "pushgateway"), args)
        self.root = root

    def argv(self, port):
        return ["chroot", f"--userspec={NOBODY}:{NOBODY}", str(self.root), "/bin/pushgateway",
                *super().argv(port)[1:]]


# ---------------------------------------------------------------------------------------------
# ELF

PT_DYNAMIC, PT_INTERP = 2, 3
DT_NEEDED, DT_FLAGS_1 = 1, 0x6FFFFFFB
DF_1_PIE = 0x08000000
EM_X86_64, EM_AARCH64 = 62, 183


def elf_facts(path):
    """(e_machine, program header types, dynamic section tags → values) of a 64-bit
    little-endian ELF file, read from its program headers as the kernel does."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, f"{path}: not a 64-bit LE ELF"
    (machine,) = struct.unpack_from("<H", data, 18)
    (phoff,) = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    segments = []
    dynamic = {}
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        segments.append(p_type)
        if p_type == PT_DYNAMIC:
            for at in range(p_offset, p_offset + p_filesz, 16):
                tag, value = struct.unpack_from("<qQ", data, at)
                if tag == 0:
                    break
                dynamic.setdefault(tag, []).append(value)
    return machine, segments, dynamic


def assert_static(path, machine):
    """Statically linked: no program interpreter to load it and no library to load. A static
    PIE keeps a dynamic section, but only for relocating itself (its DF_1_PIE flag)."""
    got_machine, segments, dynamic = elf_facts(path)
    assert got_machine == machine, f"{path}: e_machine {got_machine}, want {machine}"
    assert PT_INTERP not in segments, f"{path} asks for a program interpreter (dynamically linked)"
    assert DT_NEEDED not in dynamic, f"{path} needs shared libraries"
    if PT_DYNAMIC in segments:
        assert dynamic.get(DT_FLAGS_1, [0])[0] & DF_1_PIE, f"{path}: a dynamic section but not a static PIE"


# ---------------------------------------------------------------------------------------------
# Dockerfile


def dockerfile_stages(path=DOCKERFILE):
    """[(FROM arguments, [(INSTRUCTION, arguments)…])…]: continuation lines joined, comments
    and blank lines dropped."""
    with open(path) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        instruction, args = instruction.upper(), " ".join(args.split())
        if instruction == "FROM":
            stages.append((args, []))
        else:
            assert stages, f"{instruction} before the first FROM"
            stages[-1][1].append((instruction, args))
    return stages


def instruction_values(instructions, name):
    return [args for (instruction, args) in instructions if instruction == name]


def exec_form(args):
    """The JSON (exec) form of ENTRYPOINT, CMD or VOLUME; fails on the shell form."""
    value = json.loads(args)
    assert isinstance(value, list), f"not the exec form: {args}"
    return value


def runtime_stage():
    return dockerfile_stages()[-1]


def exposed_port():
    (port,) = instruction_values(runtime_stage()[1], "EXPOSE")
    return int(port)


# ---------------------------------------------------------------------------------------------
# README: the container section's commands

IMAGE_NAME = "pushgateway-rs"


def readme_container_commands():
    """The shell lines of the README's "Container image" section, comments dropped."""
    with open(README) as f:
        text = f.read()
    section = text.split("\n## Container image\n", 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        lines += [line for line in block.split("\n") if line and not line.startswith("#")]
    return lines


def readme_docker_runs():
    """Each `docker run` of the README as (its -p and -v values, the flags after the image)."""
    runs = []
    for line in readme_container_commands():
        words = shlex.split(line)
        if words[:2] != ["docker", "run"]:
            continue
        image_at = words.index(IMAGE_NAME)
        options = words[2:image_at]
        ports = [options[i + 1] for i, w in enumerate(options) if w == "-p"]
        volumes = [options[i + 1] for i, w in enumerate(options) if w == "-v"]
        runs.append((ports, volumes, words[image_at + 1:]))
    return runs


def push_as_readme_shows(port):
    """Runs the README's example push (echo … | curl), aimed at `port` on loopback instead of
    the published localhost:9091."""
    (push,) = [line for line in readme_container_commands() if line.startswith("echo 'some_metric 3.14'")]
    published = f"localhost:{exposed_port()}"
    assert published in push, push
    done = subprocess.run(["bash", "-o", "pipefail", "-c", push.replace(published, f"127.0.0.1:{port}")],
                          capture_output=True, text=True, timeout=harness.HTTP_TIMEOUT_S)
    assert done.returncode == 0 and done.stdout == "", done
