"""The cloud step inside ``./inv plan``: artifacts, report section, failing closed."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from ictinfra.cloud.automation import missing, run
from ictinfra.cloud.errors import AutomationUnavailableError, CloudError
from ictinfra.cloud.report import load_svg
from ictinfra.cloud.stacks import StackRef, discover
from ictinfra.cloud.step import StackOutcome, cloud_step, coverage
from ictinfra.inventory import Inventory, load_inventory
from ictinfra.plan import STEPS, PlanError, run_plan
from tests.cloud.conftest import ROOT


def test_cloud_is_a_step_of_the_plan() -> None:
    assert ("cloud", cloud_step) in STEPS


def test_plan_writes_stack_plans_and_a_report_section(
    minimal_inventory: Path, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    result = run_plan(minimal_inventory, out)
    assert "cloud" in result.sections
    for ref in discover():
        plan = json.loads((out / "stacks" / f"{ref.id}.plan.json").read_text(encoding="utf-8"))
        assert plan["project"] == ref.project
        assert plan["stack"] == ref.stack
        placement = json.loads(
            (out / "stacks" / f"{ref.id}.placement.json").read_text(encoding="utf-8")
        )
        assert len(placement["hosts_used"]) >= placement["lower_bound"]
    report = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "Consolidated server cloud" in report
    assert "vsphere-prod" in report
    assert "load per host" in report
    # the same inventory, planned again, gives the same bytes
    again = tmp_path / "again"
    run_plan(minimal_inventory, again)
    for path in sorted((out / "stacks").iterdir()):
        assert path.read_bytes() == (again / "stacks" / path.name).read_bytes()


def test_a_policy_violation_fails_the_plan_and_writes_nothing(
    minimal_inventory: Path, edit: Callable[[Path, str, str], None], tmp_path: Path
) -> None:
    edit(
        minimal_inventory / "flows.yml",
        "flows:\n",
        "flows:\n  - {id: mn-out, source_zone: mynumber, destination_zone: internet, "
        "services: [{protocol: tcp, port: 443}], via: direct, reason: a mistake}\n",
    )
    out = tmp_path / "build"
    with pytest.raises(PlanError) as err:
        run_plan(minimal_inventory, out)
    assert "cloud: vsphere-prod: [mynumber-not-routed-to-internet] My Number VM tax-ap01" in str(
        err.value
    )
    assert not out.exists()


def test_an_infeasible_placement_fails_the_plan_with_what_does_not_fit(
    minimal_inventory: Path, edit: Callable[[Path, str, str], None]
) -> None:
    edit(minimal_inventory / "systems.yml", "vcpu: 2, memory_gb: 4", "vcpu: 2, memory_gb: 4000")
    out = cloud_step(load_inventory(minimal_inventory))
    assert any("fit no host at all: bastion-01" in p for p in out.problems)


def test_coverage_finds_servers_in_no_or_two_production_stacks(minimal: Inventory) -> None:
    names = sorted(s.name for x in minimal.systems for s in x.servers)
    assert coverage(minimal, {"a": names}) == []
    problems = coverage(minimal, {"a": names[1:], "b": names[:2]})
    assert f"server {names[0]} is in no production stack" not in problems
    assert f"server {names[1]} is in 2 production stacks: a, b" in problems
    assert f"server {names[2]} is in no production stack" not in problems
    assert coverage(minimal, {"a": names[1:]}) == [f"server {names[0]} is in no production stack"]


def test_load_picture_is_well_formed_svg(minimal: Inventory) -> None:
    ref = next(r for r in discover() if r.id == "vsphere-prod")
    from ictinfra.cloud.stacks import run_offline  # noqa: PLC0415

    placement = run_offline(ref, minimal).placement
    root = ET.fromstring(str(load_svg("load <&>", placement)))  # noqa: S314  (our own SVG)
    assert root.tag.endswith("svg")
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert len(titles) == 3 * len(placement.loads)


def test_preview_without_a_cli_names_everything_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = next(r for r in discover() if r.id == "vsphere-prod")
    gaps = missing(ref, env={}, which=lambda _: None)
    assert len(gaps) == 3
    assert "Pulumi CLI" in gaps[0]
    assert "PULUMI_CONFIG_PASSPHRASE" in gaps[1]
    assert gaps[2].startswith("ICTINFRA_VSPHERE_PASSWORD")
    assert (
        missing(
            ref,
            env={"PULUMI_CONFIG_PASSPHRASE": "x", "ICTINFRA_VSPHERE_PASSWORD": "y"},
            which=lambda _: "/usr/bin/pulumi",
        )
        == []
    )
    if shutil.which("pulumi") is None:  # the real path, on a machine without the CLI
        monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
        with pytest.raises(
            AutomationUnavailableError, match="cannot preview vsphere-prod: missing"
        ):
            run(ref, ROOT / "build" / "pulumi-state-test", deploy=False)


def test_stacks_in_forked_processes_give_what_one_process_gives(example: Inventory) -> None:
    """Each stack in a child of its own (the default) or all in this process: same bytes,
    same report section, same problems; after an in-process run (an event loop with its
    executor threads in the parent) the children still plan."""
    alone = cloud_step(example, jobs=1)
    forked = cloud_step(example)
    assert alone.problems == forked.problems == ()
    assert sorted(alone.artifacts) == sorted(forked.artifacts)
    for path, text in alone.artifacts.items():
        assert forked.artifacts[path] == text, path
    assert alone.sections == forked.sections


def test_a_stack_that_crashes_or_dies_in_its_process_fails_the_step(
    minimal: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ictinfra.cloud import step  # noqa: PLC0415

    def crash(
        ref: StackRef, inv: Inventory, *, teardown: bool = True, fast: bool | None = None
    ) -> StackOutcome:
        del inv, teardown, fast
        raise RuntimeError(f"bug in {ref.id}")

    monkeypatch.setattr(step, "plan_stack", crash)  # the fork inherits the patch
    with pytest.raises(
        CloudError,
        match=r"(?s)stack proxmox-alternative crashed:\n.*RuntimeError: bug in proxmox-alt",
    ):
        cloud_step(minimal, jobs=2)

    def die(
        ref: StackRef, inv: Inventory, *, teardown: bool = True, fast: bool | None = None
    ) -> StackOutcome:
        del ref, inv, teardown, fast
        os._exit(3)

    monkeypatch.setattr(step, "plan_stack", die)
    with pytest.raises(CloudError, match=r"died \(exit code 3\) before answering"):
        cloud_step(minimal, jobs=2)


def test_stack_processes_are_capped_at_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    from ictinfra.cloud import step  # noqa: PLC0415

    monkeypatch.setattr(step, "cpus", lambda: 2)
    assert [step.default_jobs(n) for n in (0, 1, 2, 4, 9)] == [1, 1, 2, 2, 2]
    monkeypatch.setattr(step, "cpus", lambda: 16)
    assert step.default_jobs(4) == 4  # never more processes than stacks
    monkeypatch.setattr(step, "fork_available", lambda: False)
    assert step.default_jobs(4) == 1
