"""The wheelhouse the ictinfra_runtime role installs: what its keys follow, and that the
tar holds the dependencies, ictinfra's own wheel and the pins (pip itself is stubbed here;
the real build runs in the role's Molecule scenario)."""

from __future__ import annotations

import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ictinfra.lab import wheelhouse
from ictinfra.lab.errors import LabError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "ictinfra" / "sub").mkdir(parents=True)
    (root / "requirements").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ictinfra"\nversion = "0.1.0"\ndependencies = ["a==1"]\n'
    )
    (root / "requirements" / "lock.txt").write_text("a==1\nb==2\n")
    (root / "ictinfra" / "sub" / "mod.py").write_text("X = 1\n")
    return root


@pytest.fixture
def pip_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake_pip(args: list[str], _python: str) -> None:
        calls.append(args)
        out = Path(args[args.index("-w") + 1])
        if "--no-deps" in args:
            (out / "ictinfra-0.1.0-py3-none-any.whl").write_bytes(b"own")
        else:  # pip wheel . resolves the project too: the build must drop it
            for name in ("a-1-py3-none-any.whl", "b-2-py3-none-any.whl", "ictinfra-0.1.0.whl"):
                (out / name).write_bytes(name.encode())

    monkeypatch.setattr(wheelhouse, "_pip", fake_pip)
    return calls


def test_keys_follow_the_lock_and_the_source(project: Path) -> None:
    lock = project / "requirements" / "lock.txt"
    deps, src = wheelhouse.dependencies_key(project, lock), wheelhouse.source_key(project)
    (project / "ictinfra" / "sub" / "mod.py").write_text("X = 2\n")
    (project / "ictinfra" / "sub" / "__pycache__").mkdir()
    (project / "ictinfra" / "sub" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"x")
    assert wheelhouse.dependencies_key(project, lock) == deps
    src2 = wheelhouse.source_key(project)
    assert src2 != src
    (project / "ictinfra" / "sub" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"y")
    assert wheelhouse.source_key(project) == src2  # bytecode is not source
    lock.write_text("a==1\nb==3\n")
    assert wheelhouse.dependencies_key(project, lock) != deps


def test_the_tar_holds_dependencies_own_wheel_and_pins(
    project: Path, tmp_path: Path, pip_calls: list[list[str]]
) -> None:
    cache = tmp_path / "cache"
    lock = project / "requirements" / "lock.txt"
    house = wheelhouse.build_wheelhouse(project, cache, lock)
    assert house.tarball.name == f"ictinfra-wheelhouse-{house.key}.tar"
    assert house.requirement == "ictinfra==0.1.0"
    with tarfile.open(house.tarball) as tar:
        names = sorted(tar.getnames())
        assert tar.extractfile("constraints.txt").read() == lock.read_bytes()  # type: ignore[union-attr]
    assert names == [
        "a-1-py3-none-any.whl",
        "b-2-py3-none-any.whl",
        "constraints.txt",
        "ictinfra-0.1.0-py3-none-any.whl",
        "requirement.txt",
    ]
    # A second build reuses everything; a source change rebuilds only ictinfra's wheel.
    assert wheelhouse.build_wheelhouse(project, cache, lock) == house
    assert len(pip_calls) == 2
    (project / "ictinfra" / "sub" / "mod.py").write_text("X = 3\n")
    again = wheelhouse.build_wheelhouse(project, cache, lock)
    assert again.key != house.key
    assert [("--no-deps" in c) for c in pip_calls] == [False, True, True]


def test_a_failed_build_leaves_no_folder_that_looks_complete(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_args: list[str], _python: str) -> None:
        raise LabError("pip wheel failed: no network")

    monkeypatch.setattr(wheelhouse, "_pip", broken)
    cache = tmp_path / "cache"
    with pytest.raises(LabError, match="no network"):
        wheelhouse.build_wheelhouse(project, cache, project / "requirements" / "lock.txt")
    assert not list(cache.glob("deps-*"))
    assert not list(cache.glob("*.tar"))


def test_parallel_builds_build_once(
    project: Path, tmp_path: Path, pip_calls: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Molecule scenarios run in parallel under pytest-xdist: they share one build."""
    slow = wheelhouse._pip

    def slower(args: list[str], python: str) -> None:
        time.sleep(0.3)
        slow(args, python)

    monkeypatch.setattr(wheelhouse, "_pip", slower)
    lock = project / "requirements" / "lock.txt"
    with ThreadPoolExecutor(3) as pool:
        houses = list(
            pool.map(lambda _: wheelhouse.build_wheelhouse(project, tmp_path / "c", lock), range(3))
        )
    assert len(set(houses)) == 1
    assert len(pip_calls) == 2  # dependencies once, ictinfra's wheel once


def test_another_python_does_not_reuse_the_dependency_wheels(
    project: Path, tmp_path: Path, pip_calls: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    lock = project / "requirements" / "lock.txt"
    first = wheelhouse.build_wheelhouse(project, cache, lock)
    monkeypatch.setattr(wheelhouse, "_python_version", lambda _python: "3.99")
    other = wheelhouse.build_wheelhouse(project, cache, lock)
    assert other.key != first.key
    assert other.python == "3.99"
    # Dependencies resolved again for that interpreter; ictinfra's own pure-Python wheel
    # (py3-none-any) is the same for every interpreter and is reused.
    assert [("--no-deps" in c) for c in pip_calls] == [False, True, False]
