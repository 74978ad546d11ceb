"""The wheelhouse: ictinfra and its pinned dependencies as wheels, for servers with no
internet (the LGWAN zone).

Built on the controller, copied to the server by the ``ictinfra_runtime`` role and
installed there with ``pip install --no-index``. Two cache levels under
``build/wheelhouse/``: the dependencies, keyed by the lock and the declared
dependencies (downloaded once per lock), and the ictinfra wheel, keyed by its source
files. The result is one tar named by the hash of both, so a server can tell from the
name alone whether it already runs this exact build.

``python -m ictinfra.lab.wheelhouse`` prints the tar's path and key as JSON (the role's
controller-side step).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ictinfra.lab.errors import LabError

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "lock.txt"
CACHE = ROOT / "build" / "wheelhouse"
SOURCE_SUFFIXES = (".py", ".j2", ".yml", ".yaml", ".json", ".txt", ".typed", ".textfsm", ".ttp")


@dataclass(frozen=True)
class Wheelhouse:
    """One built wheelhouse: ``tarball`` holds the wheels, ``constraints.txt`` and
    ``requirement.txt`` (what to install)."""

    key: str
    tarball: Path
    requirement: str
    wheels: int
    python: str  # major.minor the compiled wheels are for; the target must match

    def as_json(self) -> str:
        return json.dumps(
            {
                "key": self.key,
                "tarball": str(self.tarball),
                "requirement": self.requirement,
                "wheels": self.wheels,
                "python": self.python,
            }
        )


def _digest(*chunks: bytes) -> str:
    sha = hashlib.sha256()
    for chunk in chunks:
        sha.update(len(chunk).to_bytes(8, "big"))
        sha.update(chunk)
    return sha.hexdigest()[:16]


def project(root: Path = ROOT) -> tuple[str, str, list[str]]:
    """(name, version, declared dependencies) from pyproject.toml."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    meta = data["project"]
    return str(meta["name"]), str(meta["version"]), [str(d) for d in meta["dependencies"]]


def dependencies_key(root: Path = ROOT, lock: Path = LOCK) -> str:
    """Changes when the lock or the declared dependencies change, not with the code."""
    _, _, deps = project(root)
    return _digest(lock.read_bytes(), "\n".join(deps).encode())


def source_key(root: Path = ROOT) -> str:
    """Changes with any packaged file of ictinfra (code, templates, data)."""
    chunks = [(root / "pyproject.toml").read_bytes()]
    for path in sorted((root / "ictinfra").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in SOURCE_SUFFIXES:
            chunks += [path.relative_to(root).as_posix().encode(), path.read_bytes()]
    return _digest(*chunks)


def _pip(args: list[str], python: str) -> None:
    done = subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise LabError("pip " + " ".join(args[:2]) + " failed:\n" + "\n".join(tail))


def _fill(folder: Path, build: Callable[[Path], None]) -> Path:
    """Build into a temporary sibling and rename: a folder that exists is complete."""
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        build(tmp)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def build_wheelhouse(
    root: Path = ROOT, cache: Path = CACHE, lock: Path = LOCK, python: str = sys.executable
) -> Wheelhouse:
    """The wheelhouse for the current source and lock, built only when missing."""
    name, version, _ = project(root)
    dist = name.replace("-", "_")
    pyver = _python_version(python)
    # Dependency wheels are built for one interpreter and machine (compiled ones carry its
    # ABI): another Python or architecture must not reuse them.
    deps_key = _digest(
        dependencies_key(root, lock).encode(), pyver.encode(), platform.machine().encode()
    )
    src_key = source_key(root)
    key = _digest(deps_key.encode(), src_key.encode())
    tarball = cache / f"ictinfra-wheelhouse-{key}.tar"
    requirement = f"{name}=={version}"

    def deps(tmp: Path) -> None:
        # Resolves ictinfra's dependencies under the lock's pins, then keeps only theirs.
        _pip(["wheel", str(root), "-c", str(lock), "-w", str(tmp)], python)
        for wheel in tmp.glob(f"{dist}-*.whl"):
            wheel.unlink()

    def own(tmp: Path) -> None:
        _pip(["wheel", str(root), "--no-deps", "-w", str(tmp)], python)

    cache.mkdir(parents=True, exist_ok=True)
    # One build at a time on this controller (parallel Molecule scenarios, two terminals):
    # the second waits and then finds everything built.
    with (cache / ".lock").open("a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        deps_dir = _fill(cache / f"deps-{deps_key}", deps)
        own_dir = _fill(cache / f"src-{src_key}", own)
        wheels = sorted(deps_dir.glob("*.whl")) + sorted(own_dir.glob("*.whl"))
        _write_tar(
            tarball, wheels, lock_text=lock.read_text(encoding="utf-8"), requirement=requirement
        )
    return Wheelhouse(
        key=key,
        tarball=tarball,
        requirement=requirement,
        wheels=len(wheels),
        python=pyver,
    )


def _write_tar(tarball: Path, wheels: list[Path], *, lock_text: str, requirement: str) -> None:
    if tarball.is_file():
        return
    # Written beside, then renamed: a half-written tar never carries the final name.
    tmp_tar = tarball.with_name(f".{tarball.name}.{os.getpid()}")
    with tarfile.open(tmp_tar, "w") as tar:
        for wheel in wheels:
            tar.add(wheel, arcname=wheel.name)
        for member, text in (
            ("constraints.txt", lock_text),
            ("requirement.txt", requirement + "\n"),
        ):
            info = tarfile.TarInfo(member)
            data = text.encode()
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, fileobj=io.BytesIO(data))
    tmp_tar.replace(tarball)


def _python_version(python: str) -> str:
    if python == sys.executable:
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    done = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ictinfra.lab.wheelhouse")
    parser.add_argument(
        "--cache", default=str(CACHE), help="cache folder (default build/wheelhouse)"
    )
    args = parser.parse_args(argv)
    try:
        house = build_wheelhouse(cache=Path(args.cache))
    except LabError as exc:
        sys.stderr.write(f"wheelhouse: {exc}\n")
        return 1
    sys.stdout.write(house.as_json() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
