"""The invoke tasks as a user runs them: exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INV = str(Path(sys.executable).parent / "inv")


def inv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INV, *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )


def test_validate_reports_every_problem_with_file_and_line(minimal_inventory: Path) -> None:
    f = minimal_inventory / "sites.yml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("region: 伊賀", "regoin: 伊賀"), encoding="utf-8"
    )
    done = inv("validate", "--inventory", str(minimal_inventory))
    assert done.returncode == 1
    assert "sites.yml:16: unknown field 'regoin'; did you mean 'region'?" in done.stderr
    assert "missing required field 'region'" in done.stderr


def test_validate_and_plan_on_a_good_inventory(minimal_inventory: Path, tmp_path: Path) -> None:
    done = inv("validate", "--inventory", str(minimal_inventory))
    assert done.returncode == 0, done.stderr
    assert "4 devices" in done.stdout
    out = tmp_path / "out"
    done = inv("plan", "--inventory", str(minimal_inventory), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "report" / "index.html").is_file()


def test_plan_of_a_broken_inventory_exits_non_zero_and_writes_nothing(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    (minimal_inventory / "flows.yml").write_text("flows:\n  - id: x\n", encoding="utf-8")
    out = tmp_path / "out"
    done = inv("plan", "--inventory", str(minimal_inventory), "--out", str(out))
    assert done.returncode == 1
    assert "flows.yml:2: missing required field 'source_zone'" in done.stderr
    assert "nothing written" in done.stderr
    assert not out.exists()
