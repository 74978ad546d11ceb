"""Real mail and files nobody on the project wrote, installed from Debian packages
(requirements/apt-test.txt: clamav-testfiles, libpython3.11-testsuite)."""

from __future__ import annotations

from pathlib import Path

CLAMAV = Path("/usr/share/clamav-testfiles")
CPYTHON_EMAIL = Path("/usr/lib/python3.11/test/test_email/data")


def clamav_files() -> list[Path]:
    files = sorted(p for p in CLAMAV.iterdir() if p.is_file())
    assert len(files) >= 40, f"clamav-testfiles missing in {CLAMAV}"
    return files


def cpython_messages() -> list[Path]:
    files = sorted(CPYTHON_EMAIL.glob("msg_*.txt"))
    assert len(files) >= 40, f"libpython3.11-testsuite missing in {CPYTHON_EMAIL}"
    return files
