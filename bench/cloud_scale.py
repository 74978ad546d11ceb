"""Cloud layer at scale: offline-plan time and placement time at 1x, 10x and 100x.

Offline plan: the cloud step as ``./inv plan`` runs it on a synthetic inventory of N
prefecture-shaped units (ictinfra.inventory.synthetic): every stack recorded under
Pulumi's mocks in forked processes (one per CPU), the plans serialised, the policies
evaluated. Shown: the step's wall time, the CPU time of its processes (the work two cores
share), the resources recorded, and the CPU time of each stack alone (its child's rusage).
With ``--plain`` the step also runs through the SDK's plain path (``record(fast=False)``,
the recorder before its fast path) in the same run: ``fast/plain`` is the CPU ratio, and
the plans of both paths must be byte-identical (checked).
Placement: the example inventory's estate (both platforms) copied N times, placed with N+1
headroom, hosts used against the lower bound.

Ratios are against 1x measured in the same run (linear would be 10 and 100); they use
CPU time, which other load on a shared machine disturbs less than wall time.

    .venv/bin/python bench/cloud_scale.py [--factors 1,10,100] [--jobs N] [--plain]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ictinfra.cloud.estate import Estate, estate_from_inventory, synthetic  # noqa: E402
from ictinfra.cloud.placement import place  # noqa: E402
from ictinfra.cloud.stacks import discover  # noqa: E402
from ictinfra.cloud.step import cloud_step, plan_stacks  # noqa: E402
from ictinfra.inventory import Inventory, load_inventory  # noqa: E402
from ictinfra.inventory.model import HypervisorPlatform  # noqa: E402
from ictinfra.inventory.synthetic import write_synthetic  # noqa: E402
from ictinfra.plan import StepOutput  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def step_time(inv: Inventory, jobs: int | None, *, fast: bool) -> tuple[float, float, StepOutput]:
    """The whole cloud step: wall, CPU of this process and its children, its output."""
    start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    out = cloud_step(inv, jobs=jobs, fast=fast)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu + _children_cpu() - children
    if out.problems:
        raise SystemExit(f"problems: {out.problems[:3]}")
    return elapsed, cpu, out


def plan_time(
    factor: int, jobs: int | None, *, plain: bool
) -> tuple[float, float, float | None, int, dict[str, float]]:
    """The step (fast path; also the plain path when ``plain``), resources; then each
    stack alone in a child, for its own CPU time."""
    with tempfile.TemporaryDirectory() as tmp:
        inv = load_inventory(write_synthetic(Path(tmp) / "inv", factor))
    elapsed, cpu, out = step_time(inv, jobs, fast=True)
    plain_cpu = None
    if plain:
        _, plain_cpu, slow = step_time(inv, jobs, fast=False)
        if slow.artifacts != out.artifacts:
            raise SystemExit(f"{factor}x: the fast and plain paths recorded different plans")
    resources = sum(json.loads(text)["summary"]["resources"] for text in _plans(out.artifacts))
    per_stack = {}
    for ref in discover():
        before = _children_cpu()
        plan_stacks([ref], inv, jobs=2)  # one stack: in a child, so its rusage is its own
        per_stack[ref.id] = _children_cpu() - before
    return elapsed, cpu, plain_cpu, resources, per_stack


def _plans(artifacts: dict[str, str | bytes]) -> list[str]:
    return [str(t) for p, t in artifacts.items() if p.endswith(".plan.json")]


def place_time(base: list[Estate], factor: int, ratio: float) -> tuple[float, int, int, int]:
    start = time.process_time()  # CPU time: placement is one thread of pure Python
    used = bound = vms = 0
    for estate in base:
        scaled = synthetic(estate, factor)
        p = place(scaled, ratio)
        used += len(p.hosts_used)
        bound += p.lower_bound
        vms += len(scaled.vms)
    return time.process_time() - start, vms, used, bound


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--factors", default="1,10,100")
    parser.add_argument("--overcommit", type=float, default=2.5)
    parser.add_argument(
        "--jobs", type=int, default=None, help="stack processes (default: one per CPU)"
    )
    parser.add_argument(
        "--plain", action="store_true", help="also time the SDK's plain path (same run)"
    )
    args = parser.parse_args()
    factors = [int(f) for f in args.factors.split(",")]
    example = load_inventory(ROOT / "inventory")
    base = [estate_from_inventory(example, platform=p) for p in HypervisorPlatform]

    print(
        f"{'scale':>6} {'step s':>8} {'cpu s':>8} {'ratio':>7} {'plain s':>8} {'fast/plain':>10} "
        f"{'resources':>10}   "
        f"{'place cpu':>9} {'ratio':>7} {'VMs':>7} {'hosts':>6} {'bound':>6} {'over':>6}"
        "   cpu s per stack"
    )
    first: tuple[float, float] | None = None
    for f in factors:
        pt, pc, plain_cpu, resources, per_stack = plan_time(f, args.jobs, plain=args.plain)
        lt, vms, used, bound = place_time(base, f, args.overcommit)
        if first is None:
            first = (pc, lt)
        stacks = ", ".join(f"{k} {v:.2f}" for k, v in per_stack.items())
        print(
            f"{f:>5}x {pt:>8.2f} {pc:>8.2f} {pc / first[0]:>7.1f} "
            + (
                f"{plain_cpu:>8.2f} {pc / plain_cpu:>10.2f} "
                if plain_cpu
                else f"{'-':>8} {'-':>10} "
            )
            + f"{resources:>10}   "
            f"{lt:>9.3f} {lt / first[1]:>7.1f} {vms:>7} {used:>6} {bound:>6} "
            f"{(used - bound) / bound:>6.1%}   {stacks}",
            flush=True,
        )


if __name__ == "__main__":
    main()
