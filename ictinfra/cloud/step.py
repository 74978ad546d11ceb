"""The cloud step of ``./inv plan``: every stack's offline plan, policies and placement.

Stacks are independent programs, so each one is recorded in a forked process of its own
(the inventory is shared with the parent by the fork, never pickled); only the finished
texts, the placement and the violations travel back. Results are taken in the stacks'
order whatever the finishing order, so the build stays byte-identical.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ictinfra.cloud.errors import CloudError, PlacementError
from ictinfra.cloud.estate import cloud_systems
from ictinfra.cloud.placement import Placement
from ictinfra.cloud.policies import Violation, evaluate
from ictinfra.cloud.report import cloud_section
from ictinfra.cloud.stacks import STACKS_DIR, StackRef, discover, run_offline
from ictinfra.forked import ForkedWorkError, fork_available, run_forked
from ictinfra.inventory import Inventory

if TYPE_CHECKING:
    from ictinfra.plan import StepOutput

PRODUCTION = "prod"


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


@dataclass(frozen=True)
class StackOutcome:
    """What one stack's offline run gives the step (picklable: it crosses processes)."""

    id: str
    backend: str
    production: bool
    plan_json: str | None
    placement_json: str | None
    resources: int
    placement: Placement | None
    violations: tuple[Violation, ...]
    errors: tuple[str, ...]

    @property
    def vms(self) -> int:
        return 0 if self.placement is None else len(self.placement.assignment)


def plan_stack(
    ref: StackRef, inv: Inventory, *, teardown: bool = True, fast: bool | None = None
) -> StackOutcome:
    """One stack: record it under the mocks, evaluate the policies, serialise both files
    (``teardown``, ``fast``: see ``record``)."""
    errs: tuple[str, ...] = ()
    try:
        run = run_offline(ref, inv, teardown=teardown, fast=fast)
    except PlacementError as exc:
        errs = exc.problems
    except CloudError as exc:
        errs = (str(exc),)
    else:
        return StackOutcome(
            id=ref.id,
            backend=ref.settings.backend.value,
            production=ref.settings.environment == PRODUCTION,
            plan_json=run.plan.to_json(),
            placement_json=placement_json(run.placement),
            resources=len(run.plan.resources),
            placement=run.placement,
            violations=evaluate(run.plan),
            errors=(),
        )
    return StackOutcome(
        id=ref.id,
        backend=ref.settings.backend.value,
        production=ref.settings.environment == PRODUCTION,
        plan_json=None,
        placement_json=None,
        resources=0,
        placement=None,
        violations=(),
        errors=errs,
    )


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def default_jobs(stacks: int) -> int:
    """Processes for the stacks: one per CPU, at most one per stack, where fork exists;
    else 1 (in this process).

    More processes than CPUs only made them share the CPUs, each holding its whole SDK
    object graph in memory at once; with one per CPU the next stack starts when one ends.
    """
    if not fork_available():
        return 1
    return max(1, min(stacks, cpus()))


def _in_children(
    refs: Sequence[StackRef], inv: Inventory, jobs: int, *, fast: bool | None
) -> list[StackOutcome]:
    work = [
        (f"stack {ref.id}", functools.partial(plan_stack, ref, inv, teardown=False, fast=fast))
        for ref in refs
    ]
    try:
        # Each child exits without tearing down the SDK's resource graph (see ``record``).
        return run_forked(work, jobs, skip_teardown=True)
    except ForkedWorkError as failure:
        if failure.exitcode is not None:
            raise CloudError(str(failure)) from None
        raise CloudError(f"{failure.name} crashed:\n{failure.detail}") from None


def plan_stacks(
    refs: Sequence[StackRef],
    inv: Inventory,
    jobs: int | None = None,
    *,
    fast: bool | None = None,
) -> list[StackOutcome]:
    """Every stack's outcome, in the order of ``refs``; up to ``jobs`` at once."""
    n = default_jobs(len(refs)) if jobs is None else jobs
    if n <= 1:
        return [plan_stack(ref, inv, fast=fast) for ref in refs]
    return _in_children(refs, inv, n, fast=fast)


def cloud_step(
    inv: Inventory,
    stacks_dir: Path = STACKS_DIR,
    jobs: int | None = None,
    *,
    fast: bool | None = None,
) -> StepOutput:
    """Plan files, placement files, the report section; problems fail the plan
    (``fast``: see ``record``; the bench compares both paths)."""
    from ictinfra.plan import StepOutput  # noqa: PLC0415  (ictinfra.plan imports this module)

    try:
        refs = discover(stacks_dir)
    except CloudError as exc:
        return StepOutput(problems=(str(exc),))
    artifacts: dict[str, str | bytes] = {}
    rows = []
    problems: list[str] = []
    placed: dict[str, list[str]] = {}
    for out in plan_stacks(refs, inv, jobs, fast=fast):
        if out.plan_json is not None and out.placement_json is not None:
            artifacts[f"stacks/{out.id}.plan.json"] = out.plan_json
            artifacts[f"stacks/{out.id}.placement.json"] = out.placement_json
        if out.production and out.placement is not None:
            placed[out.id] = sorted(out.placement.assignment)
        problems.extend(f"{out.id}: {e}" for e in out.errors)
        problems.extend(f"{out.id}: {v}" for v in out.violations)
        rows.append(
            (
                out.id,
                out.backend,
                out.resources,
                out.vms,
                out.placement,
                out.violations,
                out.errors,
            )
        )
    problems.extend(coverage(inv, placed))
    return StepOutput(
        artifacts=artifacts, sections=(cloud_section(rows),), problems=tuple(problems)
    )


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
