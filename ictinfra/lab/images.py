"""The lab's container images, built from Debian with no registry.

The base image comes from ``debootstrap --variant=minbase`` and ``podman import``; the
others are ``podman build`` recipes (``images/<name>/Containerfile``) on top of it. Each
image carries a recipe label (a hash of its recipe and its parent's), so an existing
image is skipped only while its recipe is unchanged.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ictinfra.lab.errors import LabError
from ictinfra.lab.podman import checked, podman, run

RECIPE_LABEL = "org.ictinfra.lab.recipe"
# Not the project label: containers inherit their image's labels, and lab.down must not
# remove containers that merely run a lab image (Molecule's, an engineer's).
IMAGE_LABEL = "org.ictinfra.lab.image"
IMAGES_DIR = Path(__file__).resolve().parent / "images"
SUITE = "bookworm"
# Bump to rebuild every image when the build procedure itself (not a recipe file) changes.
BUILD_VERSION = "2"
PREFIX = "localhost/ictinfra-"
LOCK_PATH = Path("/run/lock/ictinfra-lab-images.lock")


@dataclass(frozen=True)
class ImageSpec:
    """One lab image: ``parent`` is None for the debootstrap base."""

    name: str
    parent: str | None
    purpose: str

    @property
    def ref(self) -> str:
        return f"{PREFIX}{self.name}"

    @property
    def context(self) -> Path:
        return IMAGES_DIR / self.name


#: Build order: every parent comes before its children.
IMAGES: tuple[ImageSpec, ...] = (
    ImageSpec("base", None, f"Debian {SUITE} minbase from debootstrap"),
    ImageSpec("python", "base", "python3 and sudo: an Ansible target"),
    ImageSpec(
        "systemd", "python", "systemd as PID 1 and the baseline packages: roles with services"
    ),
    ImageSpec("gateway", "python", "nftables: isolation gateways (run with NET_ADMIN)"),
    ImageSpec(
        "isolation-services", "systemd", "Squid and xrdp: web_proxy and virtual_browser roles"
    ),
    ImageSpec(
        "mail",
        "systemd",
        "Postfix, venv, libmagic, libturbojpeg: mail gateway and file transfer roles",
    ),
)
IMAGES_BY_NAME = {spec.name: spec for spec in IMAGES}


@dataclass(frozen=True)
class BuildResult:
    name: str
    ref: str
    action: str  # "built" or "kept"
    seconds: float


def recipe_digest(spec: ImageSpec) -> str:
    """A hash of everything that makes the image: its files and its parent's recipe."""
    sha = hashlib.sha256(BUILD_VERSION.encode())
    if spec.parent is None:
        sha.update(f"debootstrap --variant=minbase {SUITE}".encode())
    else:
        sha.update(recipe_digest(IMAGES_BY_NAME[spec.parent]).encode())
        for path in sorted(spec.context.rglob("*")):
            if path.is_file():
                sha.update(path.relative_to(spec.context).as_posix().encode())
                sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def current_digest(ref: str) -> str | None:
    """The recipe label of an existing image, or None when there is no such image."""
    if not podman("image", "exists", ref).ok:
        return None
    result = podman("image", "inspect", "--format", f'{{{{index .Labels "{RECIPE_LABEL}"}}}}', ref)
    return result.stdout.strip() if result.ok else ""


def debian_mirror(
    sources: tuple[Path, ...] = (
        Path("/etc/apt/sources.list"),
        Path("/etc/apt/sources.list.d/debian.sources"),
    ),
) -> str | None:
    """The Debian mirror this machine's apt already uses (so the lab uses the same one)."""
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for raw in text.splitlines():
            line = raw.strip()
            one_line = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+" + SUITE + r"\s", line + " ")
            if one_line and "security" not in one_line.group(1):
                return one_line.group(1)
            deb822 = re.match(r"^URIs:\s*(\S+)", line)
            if deb822 and "security" not in deb822.group(1):
                return deb822.group(1)
    return None


def build_images(
    names: tuple[str, ...] | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] = lambda _msg: None,
) -> list[BuildResult]:
    """Build the named images (default: all) and their parents, skipping current ones."""
    wanted = _with_parents(names or tuple(spec.name for spec in IMAGES))
    with _build_lock():
        return [
            _ensure(spec, force=force, progress=progress) for spec in IMAGES if spec.name in wanted
        ]


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """One build at a time on this machine (parallel test workers, a second terminal)."""
    with LOCK_PATH.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ensure(spec: ImageSpec, *, force: bool, progress: Callable[[str], None]) -> BuildResult:
    digest = recipe_digest(spec)
    started = time.monotonic()
    if not force and current_digest(spec.ref) == digest:
        return BuildResult(spec.name, spec.ref, "kept", 0.0)
    progress(f"building {spec.ref} ({spec.purpose})")
    if spec.parent is None:
        _build_base(spec, digest)
    else:
        _build_layer(spec, digest)
    return BuildResult(spec.name, spec.ref, "built", time.monotonic() - started)


def _with_parents(names: tuple[str, ...]) -> set[str]:
    unknown = sorted(set(names) - IMAGES_BY_NAME.keys())
    if unknown:
        raise LabError(f"unknown image(s) {', '.join(unknown)}; known: {', '.join(IMAGES_BY_NAME)}")
    out: set[str] = set()
    for name in names:
        current: str | None = name
        while current is not None:
            out.add(current)
            current = IMAGES_BY_NAME[current].parent
    return out


def _labels(name: str, digest: str) -> list[str]:
    return [f"{IMAGE_LABEL}={name}", f"{RECIPE_LABEL}={digest}"]


def _build_base(spec: ImageSpec, digest: str) -> None:
    if shutil.which("debootstrap") is None:
        raise LabError("debootstrap is not installed: run ./inv lab.setup")
    with tempfile.TemporaryDirectory(prefix="ictinfra-base-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        args = ["debootstrap", "--variant=minbase", SUITE, str(rootfs)]
        mirror = debian_mirror()
        if mirror:
            args.append(mirror)
        checked(run(args, timeout=900))
        tarball = Path(tmp) / "rootfs.tar"
        checked(run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."]))
        changes: list[str] = []
        for label in _labels(spec.name, digest):
            changes += ["--change", f"LABEL {label}"]
        changes += ["--change", 'CMD ["/bin/bash"]']
        checked(podman("import", *changes, str(tarball), spec.ref))


def _build_layer(spec: ImageSpec, digest: str) -> None:
    labels: list[str] = []
    for label in _labels(spec.name, digest):
        labels += ["--label", label]
    checked(
        podman(
            "build",
            "--pull=never",
            "--layers=false",
            *labels,
            "-t",
            spec.ref,
            "-f",
            str(spec.context / "Containerfile"),
            str(spec.context),
            timeout=1200,
        )
    )


def remove_images() -> list[str]:
    """Remove the lab's images (only those carrying the lab image label)."""
    listed = podman("images", "--filter", f"label={IMAGE_LABEL}", "--format", "{{.Repository}}")
    refs = sorted({line.strip() for line in checked(listed).stdout.splitlines() if line.strip()})
    for ref in reversed(refs):
        podman("rmi", "--force", ref)
    return refs
