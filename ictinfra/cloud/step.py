"""The cloud step of ``./inv plan``: every stack's offline plan, policies and placement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ictinfra.cloud.errors import CloudError, PlacementError
from ictinfra.cloud.estate import cloud_systems
from ictinfra.cloud.placement import Placement
from ictinfra.cloud.policies import Violation, evaluate
from ictinfra.cloud.report import cloud_section
from ictinfra.cloud.stacks import STACKS_DIR, discover, run_offline
from ictinfra.inventory import Inventory

if TYPE_CHECKING:
    from ictinfra.plan import StepOutput


def placement_json(placement: Placement) -> str:
    doc = {
        "vcpu_overcommit": placement.vcpu_overcommit,
        "hosts_used": list(placement.hosts_used),
        "lower_bound": placement.lower_bound,
        "pool": placement.pool,
        "assignment": dict(sorted(placement.assignment.items())),
        "failover": {h: dict(m) for h, m in sorted(placement.failover.items())},
        "loads": [
            {
                "host": x.host,
                "vms": x.vms,
                "used": list(x.used),
                "capacity": list(x.capacity),
                "peak_after_failure": list(x.peak_after_failure),
            }
            for x in placement.loads
        ],
    }
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def cloud_step(inv: Inventory, stacks_dir: Path = STACKS_DIR) -> StepOutput:
    """Plan files, placement files, the report section; problems fail the plan."""
    from ictinfra.plan import StepOutput  # noqa: PLC0415  (ictinfra.plan imports this module)

    artifacts: dict[str, str | bytes] = {}
    rows = []
    problems: list[str] = []
    placed: dict[str, list[str]] = {}
    try:
        refs = discover(stacks_dir)
    except CloudError as exc:
        return StepOutput(problems=(str(exc),))
    for ref in refs:
        placement: Placement | None = None
        violations: tuple[Violation, ...] = ()
        errs: tuple[str, ...] = ()
        resources = vms = 0
        try:
            run = run_offline(ref, inv)
        except PlacementError as exc:
            errs = exc.problems
        except CloudError as exc:
            errs = (str(exc),)
        else:
            placement = run.placement
            violations = evaluate(run.plan)
            artifacts[f"stacks/{ref.id}.plan.json"] = run.plan.to_json()
            artifacts[f"stacks/{ref.id}.placement.json"] = placement_json(placement)
            resources = len(run.plan.resources)
            vms = len(placement.assignment)
            if ref.settings.environment == PRODUCTION:
                placed[ref.id] = sorted(placement.assignment)
        problems.extend(f"{ref.id}: {e}" for e in errs)
        problems.extend(f"{ref.id}: {v}" for v in violations)
        rows.append(
            (ref.id, ref.settings.backend.value, resources, vms, placement, violations, errs)
        )
    problems.extend(coverage(inv, placed))
    return StepOutput(
        artifacts=artifacts, sections=(cloud_section(rows),), problems=tuple(problems)
    )


PRODUCTION = "prod"


def coverage(inv: Inventory, placed: dict[str, list[str]]) -> list[str]:
    """Every server of the platform is in exactly one production stack (fail closed)."""
    wanted = {v.name for s in cloud_systems(inv) for v in s.servers}
    seen: dict[str, list[str]] = {}
    for stack, names in placed.items():
        for name in names:
            seen.setdefault(name, []).append(stack)
    out = [f"server {n} is in no production stack" for n in sorted(wanted - set(seen))]
    out.extend(
        f"server {n} is in {len(st)} production stacks: {', '.join(st)}"
        for n, st in sorted(seen.items())
        if len(st) > 1
    )
    return out
