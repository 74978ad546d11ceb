"""The main job: everything rendered at once, nothing written when anything fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ictinfra.inventory import InventoryError
from ictinfra.plan import STEPS, PlanError, StepCrashError, StepOutput, run_plan


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


def test_parallel_and_serial_plans_are_byte_identical(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    serial = run_plan(minimal_inventory, tmp_path / "serial", jobs=1)
    parallel = run_plan(minimal_inventory, tmp_path / "parallel", jobs=3)
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")
    assert [name for name, _ in serial.seconds] == [name for name, _ in parallel.seconds]


class _Unpicklable(Exception):  # noqa: N818 - a test double for a library's odd exception
    def __init__(self, a: int, b: int) -> None:  # pickle rebuilds it with one argument: fails
        super().__init__(f"{a}/{b}")


def _raises_value_error(_inv: object) -> StepOutput:
    raise ValueError("bad zone table")


def _raises_unpicklable(_inv: object) -> StepOutput:
    raise _Unpicklable(1, 2)


def _dies(_inv: object) -> StepOutput:
    import os  # noqa: PLC0415

    os._exit(3)


@pytest.mark.parametrize(
    ("step", "error", "match"),
    [
        (_raises_value_error, ValueError, "bad zone table"),
        (_raises_unpicklable, StepCrashError, r"(?s)step boom failed:.*_Unpicklable: 1/2"),
        (_dies, StepCrashError, r"step boom died \(exit code 3\)"),
    ],
)
def test_a_step_failing_in_its_process_fails_the_plan_and_writes_nothing(
    minimal_inventory: Path,
    tmp_path: Path,
    step: object,
    error: type[Exception],
    match: str,
) -> None:
    out, before = _previous_build(tmp_path, minimal_inventory)
    with pytest.raises(error, match=match):
        run_plan(minimal_inventory, out, steps=(*STEPS, ("boom", step)), jobs=2)  # type: ignore[arg-type]
    assert snapshot(out) == before
    assert no_staging_left(out)


def test_a_step_problem_from_a_child_process_is_reported(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    def failing_check(_inv: object) -> StepOutput:
        return StepOutput(problems=("zone rule broken",))

    with pytest.raises(PlanError, match="check: zone rule broken"):
        run_plan(minimal_inventory, tmp_path / "o", steps=(("check", failing_check),), jobs=1)
    with pytest.raises(PlanError, match="check: zone rule broken"):
        run_plan(
            minimal_inventory,
            tmp_path / "o",
            steps=(("devices", STEPS[0][1]), ("check", failing_check)),
            jobs=2,
        )


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "/abs/x", "//abs/x", "", "a\\..\\x"])
def test_staging_refuses_every_path_leaving_its_folder(tmp_path: Path, bad: str) -> None:
    from ictinfra.render.output import Staging  # noqa: PLC0415

    staging = Staging(tmp_path / "out")
    target = str(tmp_path / "victim.txt")
    with pytest.raises(ValueError, match="escapes the output folder"):
        staging.write(bad.replace("/abs/x", target), "x")
    staging.abort()
    assert not (tmp_path / "victim.txt").exists()
    assert staging.write("a/b/c.txt", "ok").read_text() == "ok"
