"""The main job: validate, render every artifact, check, and write the report, atomically.

``run_plan`` touches no device and needs no network. Each layer contributes a *step*: a
pure function from the inventory to artifacts, report sections and problems. A problem
from any step fails the plan and leaves the previous output folder untouched.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ictinfra.cloud.step import cloud_step
from ictinfra.forked import ForkedWorkError, fork_available, run_forked
from ictinfra.inventory import Inventory, load_inventory
from ictinfra.inventory.ansible import ansible_hosts_yaml
from ictinfra.inventory.errors import IctinfraError
from ictinfra.inventory.loader import collector_paused
from ictinfra.isolation.step import isolation_step
from ictinfra.netmig.step import netmig_step
from ictinfra.render.devices import render_devices
from ictinfra.render.output import Staging
from ictinfra.report import Section, Table, render_report, summary_section, systems_section


@dataclass(frozen=True)
class StepOutput:
    artifacts: dict[str, str | bytes] = field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    problems: tuple[str, ...] = ()


Step = Callable[[Inventory], StepOutput]


class PlanError(IctinfraError):
    """A step found problems; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("plan failed:\n" + "\n".join(problems))

    def __reduce__(self) -> tuple[type[PlanError], tuple[list[str]]]:
        return (PlanError, (self.problems,))


class StepCrashError(IctinfraError):
    """A step raised an exception that could not be carried back from its process."""


def devices_step(inv: Inventory) -> StepOutput:
    configs = render_devices(inv)
    rows = tuple(
        (
            d.hostname,
            str(d.platform),
            d.model,
            d.site,
            str(d.lifecycle),
            d.replaces or "",
            "" if d.wave is None else d.wave,
            f"configs/{d.hostname}.cfg",
        )
        for d in inv.devices
    )
    section = Section(
        id="devices",
        title="Device configurations",
        intro="Intended configuration of every network device, rendered per platform.",
        tables=(
            (
                "Devices",
                Table(
                    (
                        "hostname",
                        "platform",
                        "model",
                        "site",
                        "lifecycle",
                        "replaces",
                        "wave",
                        "config",
                    ),
                    rows,
                ),
            ),
        ),
    )
    return StepOutput(artifacts=dict(configs), sections=(section,))


def ansible_step(inv: Inventory) -> StepOutput:
    return StepOutput(artifacts={"ansible/hosts.yml": ansible_hosts_yaml(inv)})


# The explicit list of what the plan does, in order. Layers add their step here.
STEPS: tuple[tuple[str, Step], ...] = (
    ("devices", devices_step),
    ("ansible", ansible_step),
    ("cloud", cloud_step),
    ("isolation", isolation_step),
    ("netmig", netmig_step),
)


@dataclass(frozen=True)
class PlanResult:
    out: Path
    artifacts: tuple[str, ...]
    sections: tuple[str, ...]
    seconds: tuple[tuple[str, float], ...] = ()  # per step, for benchmarks; not written


def default_jobs() -> int:
    """Processes for the steps: one per CPU this process may use (1 where fork is missing)."""
    if not fork_available():
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _timed(step: Step, inv: Inventory) -> tuple[StepOutput, float]:
    start = time.perf_counter()
    result = step(inv)
    return result, time.perf_counter() - start


def _run_steps(
    inv: Inventory, steps: Sequence[tuple[str, Step]], jobs: int
) -> list[tuple[StepOutput, float]]:
    """Every step's output in the order given; up to ``jobs`` steps at once in forked
    processes (steps are pure functions of the frozen inventory)."""
    if jobs <= 1 or len(steps) <= 1:
        return [_timed(step, inv) for _, step in steps]
    try:
        return run_forked(
            [(f"step {name}", functools.partial(_timed, step, inv)) for name, step in steps],
            jobs,
        )
    except ForkedWorkError as failure:
        if failure.error is not None:
            raise failure.error from None  # the step's own exception, as if run here
        raise StepCrashError(str(failure)) from None


def run_plan(
    inventory_dir: Path,
    out: Path,
    steps: tuple[tuple[str, Step], ...] = STEPS,
    jobs: int | None = None,
) -> PlanResult:
    """Validate the inventory, run every step, write everything to ``out`` at once.

    ``jobs`` bounds how many steps run at once (default: one per CPU; 1 runs them in this
    process, in order).
    """
    start = time.perf_counter()
    # The inventory lives until the plan ends: keep the collector from walking it again
    # in every step, and from touching (thus copying) its pages in the forked steps.
    # Frozen before the collector resumes, or its first pass walks the whole new inventory.
    with collector_paused():
        inv = load_inventory(inventory_dir)
        gc.freeze()
    seconds = [("load", time.perf_counter() - start)]
    try:
        return _plan(inv, inventory_dir, out, steps, jobs, seconds)
    finally:
        gc.unfreeze()


def _plan(
    inv: Inventory,
    inventory_dir: Path,
    out: Path,
    steps: tuple[tuple[str, Step], ...],
    jobs: int | None,
    seconds: list[tuple[str, float]],
) -> PlanResult:
    sections: list[Section] = [summary_section(inv), systems_section(inv)]
    artifacts: dict[str, str | bytes] = {}
    problems: list[str] = []
    outputs = _run_steps(inv, steps, default_jobs() if jobs is None else jobs)
    for (name, _), (result, took) in zip(steps, outputs, strict=True):
        seconds.append((name, took))
        problems.extend(
            f"{name}: artifact {path} is written by two steps"
            for path in result.artifacts
            if path in artifacts
        )
        artifacts.update(result.artifacts)
        sections.extend(result.sections)
        problems.extend(f"{name}: {p}" for p in result.problems)
    if problems:
        raise PlanError(problems)
    artifacts["report/index.html"] = render_report(
        f"ictinfra plan — {inv.organisation.name_ja}", sections, str(inventory_dir)
    )
    manifest = {
        path: hashlib.sha256(c.encode() if isinstance(c, str) else c).hexdigest()
        for path, c in sorted(artifacts.items())
    }
    artifacts["manifest.json"] = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    start = time.perf_counter()
    with Staging(out) as staging:
        for path, content in sorted(artifacts.items()):
            staging.write(path, content)
    seconds.append(("write", time.perf_counter() - start))
    return PlanResult(
        out=out,
        artifacts=tuple(sorted(artifacts)),
        sections=tuple(s.id for s in sections),
        seconds=tuple(seconds),
    )
