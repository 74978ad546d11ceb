"""The main job: everything rendered at once, nothing written when anything fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ictinfra.inventory import InventoryError
from ictinfra.plan import STEPS, PlanError, StepOutput, run_plan


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_plan_writes_configs_ansible_inventory_report_and_manifest(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    result = run_plan(minimal_inventory, out)
    files = snapshot(out)
    assert set(files) == set(result.artifacts)
    assert {"report/index.html", "ansible/hosts.yml", "manifest.json"} <= set(files)
    assert "configs/iga-rt-11.cfg" in files
    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json"}
    report = files["report/index.html"].decode()
    assert "テスト県" in report
    assert "<svg" in report
    assert "iga-rt-01 → iga-rt-11" in report
    hosts = yaml.safe_load(files["ansible/hosts.yml"])
    assert "servers" in hosts["all"]["children"]


def test_two_plans_of_the_same_inventory_are_byte_identical(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    run_plan(minimal_inventory, tmp_path / "a")
    run_plan(minimal_inventory, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def _previous_build(tmp_path: Path, minimal_inventory: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "build"
    run_plan(minimal_inventory, out)
    (out / "keep.txt").write_text("from an earlier plan", encoding="utf-8")
    return out, snapshot(out)


def no_staging_left(out: Path) -> bool:
    return [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")] == []


def test_broken_inventory_leaves_previous_build_intact(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    out, before = _previous_build(tmp_path, minimal_inventory)
    (minimal_inventory / "sites.yml").write_text("sites: [\n", encoding="utf-8")
    with pytest.raises(InventoryError):
        run_plan(minimal_inventory, out)
    assert snapshot(out) == before
    assert no_staging_left(out)


def test_step_problem_fails_the_plan_and_writes_nothing(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    out, before = _previous_build(tmp_path, minimal_inventory)

    def failing_check(_inv: object) -> StepOutput:
        return StepOutput(artifacts={"check/x.txt": "partial"}, problems=("zone rule broken",))

    with pytest.raises(PlanError, match="check: zone rule broken"):
        run_plan(minimal_inventory, out, steps=(*STEPS, ("check", failing_check)))
    assert snapshot(out) == before
    assert no_staging_left(out)


def test_crash_while_writing_leaves_previous_build_intact(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    out, before = _previous_build(tmp_path, minimal_inventory)

    def escaping(_inv: object) -> StepOutput:
        return StepOutput(artifacts={"zz/../../../escape.txt": "x"})

    with pytest.raises(ValueError, match="escapes the output folder"):
        run_plan(minimal_inventory, out, steps=(*STEPS, ("escaping", escaping)))
    assert snapshot(out) == before
    assert not (tmp_path / "escape.txt").exists()
    assert no_staging_left(out)


def test_two_steps_writing_one_artifact_is_a_problem(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    def again(_inv: object) -> StepOutput:
        return StepOutput(artifacts={"ansible/hosts.yml": "other"})

    with pytest.raises(PlanError, match=r"ansible/hosts\.yml is written by two steps"):
        run_plan(minimal_inventory, tmp_path / "out", steps=(*STEPS, ("again", again)))
    assert not (tmp_path / "out").exists()
