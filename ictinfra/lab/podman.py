"""podman for this machine kind: a runner, a probe, and a set-up that never breaks a working one.

Debian 12's podman 4.3 on these machines (cgroups v1 hybrid, no CAP_SYS_RESOURCE) works
only with runc, cgroupfs, the file events logger and explicit ulimits (see LAB.md). The
set-up writes those settings as one drop-in, and only when a probe shows that plain
podman does not run a container: a machine where podman already works is left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ictinfra.lab.errors import LabError

#: Every container, network and image the lab makes carries this label.
PROJECT_LABEL = "org.ictinfra.project"
PROJECT = "ictinfra"

DROPIN_NAME = "50-ictinfra-lab.conf"
SYSTEM_DROPIN_DIR = Path("/etc/containers/containers.conf.d")

# nproc must be explicit (runc: "error setting rlimit type 6") and at most 32768.
DROPIN_TEXT = """\
# Written by ictinfra (./inv lab.setup) because plain podman could not run a container
# on this machine. Remove this file to undo. See the project's LAB notes.
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
"""

#: Debian packages the lab needs (also listed in requirements/apt-test.txt for CI).
APT_PACKAGES = (
    "podman",
    "runc",
    "conmon",
    "netavark",
    "aardvark-dns",
    "iptables",  # netavark sets up bridge NAT with it
    "slirp4netns",
    "uidmap",
    "fuse-overlayfs",
    "debootstrap",
    "openssh-client",
)

#: Tools the lab calls, and the package that brings each.
TOOLS = {
    "podman": "podman",
    "runc": "runc",
    "debootstrap": "debootstrap",
    "ssh-keygen": "openssh-client",
}


@dataclass(frozen=True)
class Run:
    """What one podman (or other tool) call returned."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def detail(self) -> str:
        text = (self.stderr or self.stdout).strip()
        return f"`{' '.join(self.args)}` exited {self.returncode}: {text[-2000:]}"


def run(
    args: list[str] | tuple[str, ...], *, stdin: bytes | None = None, timeout: float = 600
) -> Run:
    """Run a tool with an argument list (never a shell) and keep its output."""
    try:
        proc = subprocess.run(
            list(args), input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise LabError(f"{args[0]} is not installed: run ./inv lab.setup") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(args)}` took longer than {timeout:.0f} s") from exc
    return Run(
        tuple(args),
        proc.returncode,
        proc.stdout.decode(errors="replace"),
        proc.stderr.decode(errors="replace"),
    )


def podman(*args: str, stdin: bytes | None = None, timeout: float = 600) -> Run:
    return run(("podman", *args), stdin=stdin, timeout=timeout)


def checked(result: Run) -> Run:
    if not result.ok:
        raise LabError(result.detail())
    return result


def missing_tools() -> dict[str, str]:
    """Tools the lab needs that are not on PATH, with the Debian package bringing each."""
    return {tool: pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None}


def probe() -> Run:
    """Can plain podman run a container here? Uses the host's root as a read-only overlay,
    so it needs no image and writes nothing to the host."""
    return podman("run", "--rm", "--rootfs", "/:O", "/bin/true", timeout=120)


def dropin_dir() -> Path:
    """Where this user's containers.conf drop-ins go (system-wide as root)."""
    if os.geteuid() == 0:
        return SYSTEM_DROPIN_DIR
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "containers" / "containers.conf.d"


@dataclass(frozen=True)
class SetupResult:
    changed: bool
    message: str


def setup(directory: Path | None = None) -> SetupResult:
    """Make plain ``podman run`` work on this machine, or leave it alone if it already does.

    Writes the drop-in only after a failed probe; if podman still fails with it, the
    drop-in is removed again (the machine is left as found) and ``LabError`` says why.
    """
    missing = missing_tools()
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise LabError(
            f"missing {', '.join(sorted(missing))}: install with "
            f"`apt-get install --no-install-recommends {packages}`"
        )
    if "CONTAINERS_CONF" in os.environ:
        # That variable replaces the system files: a drop-in would not be read.
        first = probe()
        if first.ok:
            return SetupResult(changed=False, message="podman works (CONTAINERS_CONF); left as is")
        raise LabError(f"CONTAINERS_CONF is set and podman fails with it: {first.detail()}")
    target = (directory or dropin_dir()) / DROPIN_NAME
    first = probe()
    if first.ok:
        return SetupResult(changed=False, message="podman already works here; left as is")
    if target.exists() and target.read_text(encoding="utf-8") == DROPIN_TEXT:
        raise LabError(f"podman fails even with {target}: {first.detail()}")
    previous = target.read_text(encoding="utf-8") if target.exists() else None
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, DROPIN_TEXT)
    second = probe()
    if second.ok:
        return SetupResult(changed=True, message=f"podman configured for this machine: {target}")
    if previous is None:
        target.unlink()
    else:
        _write(target, previous)
    raise LabError(
        f"podman fails with and without {target} (left as found).\n"
        f"without: {first.detail()}\nwith: {second.detail()}"
    )


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o644)
    tmp.replace(path)
