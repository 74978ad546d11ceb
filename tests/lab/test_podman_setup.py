"""podman set-up: writes the drop-in only when plain podman fails, and never leaves a
machine worse than it found it. The probe is replaced by a scripted one here; the real
probe runs in the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ictinfra.lab import podman
from ictinfra.lab.errors import LabError
from ictinfra.lab.podman import DROPIN_NAME, DROPIN_TEXT, Run


def _run(code: int, err: str = "") -> Run:
    return Run(("podman", "run"), code, "", err)


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Run]]:
    """Each probe() pops the next scripted result; tools count as installed."""
    results: list[Run] = []
    monkeypatch.setattr(podman, "probe", lambda: results.pop(0))
    monkeypatch.setattr(podman, "missing_tools", dict)
    monkeypatch.delenv("CONTAINERS_CONF", raising=False)
    yield results
    assert results == [], "not every scripted probe was used"


def test_working_podman_is_left_alone(scripted: list[Run], tmp_path: Path) -> None:
    scripted.append(_run(0))
    result = podman.setup(tmp_path)
    assert not result.changed
    assert list(tmp_path.iterdir()) == []


def test_failing_podman_gets_the_dropin(scripted: list[Run], tmp_path: Path) -> None:
    scripted += [_run(126, "error setting rlimit type 7"), _run(0)]
    result = podman.setup(tmp_path / "containers.conf.d")
    dropin = tmp_path / "containers.conf.d" / DROPIN_NAME
    assert result.changed
    assert dropin.read_text(encoding="utf-8") == DROPIN_TEXT
    assert oct(dropin.stat().st_mode & 0o777) == "0o644"


def test_dropin_that_does_not_help_is_removed(scripted: list[Run], tmp_path: Path) -> None:
    scripted += [_run(126, "first failure"), _run(125, "second failure")]
    with pytest.raises(LabError) as err:
        podman.setup(tmp_path)
    assert not (tmp_path / DROPIN_NAME).exists()
    assert "first failure" in str(err.value)
    assert "second failure" in str(err.value)


def test_a_previous_file_of_the_same_name_is_restored(scripted: list[Run], tmp_path: Path) -> None:
    (tmp_path / DROPIN_NAME).write_text("[engine]\nruntime = 'crun'\n", encoding="utf-8")
    scripted += [_run(126), _run(126)]
    with pytest.raises(LabError):
        podman.setup(tmp_path)
    assert (tmp_path / DROPIN_NAME).read_text(encoding="utf-8") == "[engine]\nruntime = 'crun'\n"


def test_missing_tools_are_named_with_their_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        podman.shutil, "which", lambda name: None if name == "debootstrap" else "/x"
    )
    with pytest.raises(LabError, match=r"missing debootstrap: install with .*debootstrap"):
        podman.setup()


def test_containers_conf_is_respected(
    monkeypatch: pytest.MonkeyPatch, scripted: list[Run], tmp_path: Path
) -> None:
    # CONTAINERS_CONF replaces the system files: a drop-in would be ignored, so none is written.
    monkeypatch.setenv("CONTAINERS_CONF", str(tmp_path / "mine.conf"))
    scripted.append(_run(126, "broken"))
    with pytest.raises(LabError, match="CONTAINERS_CONF"):
        podman.setup(tmp_path)
    assert not (tmp_path / DROPIN_NAME).exists()


def test_every_lab_package_is_installed_by_ci() -> None:
    listed = Path(__file__).resolve().parents[2] / "requirements" / "apt-test.txt"
    words = set(listed.read_text(encoding="utf-8").split())
    assert set(podman.APT_PACKAGES) <= words
