"""Cloud layer at scale: offline-plan time and placement time at 1x, 10x and 100x.

Offline plan: the vSphere production stack run under Pulumi's mocks on a synthetic
inventory of N prefecture-shaped units (ictinfra.inventory.synthetic), every
registration recorded and the plan serialised, then the policies evaluated.
Placement: the example inventory's estate (both platforms) copied N times, placed with N+1
headroom, hosts used against the lower bound.

Ratios are against 1x measured in the same run (linear would be 10 and 100); the plan's
ratio uses process CPU time, which other load on a shared machine disturbs less than
wall time (shown too).

    .venv/bin/python bench/cloud_scale.py [--factors 1,10,100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ictinfra.cloud.estate import Estate, estate_from_inventory, synthetic  # noqa: E402
from ictinfra.cloud.placement import place  # noqa: E402
from ictinfra.cloud.policies import evaluate  # noqa: E402
from ictinfra.cloud.stacks import discover, run_offline  # noqa: E402
from ictinfra.inventory import load_inventory  # noqa: E402
from ictinfra.inventory.model import HypervisorPlatform  # noqa: E402
from ictinfra.inventory.synthetic import write_synthetic  # noqa: E402


def plan_time(factor: int) -> tuple[float, float, int, int]:
    ref = next(r for r in discover() if r.id == "vsphere-prod")
    with tempfile.TemporaryDirectory() as tmp:
        inv = load_inventory(write_synthetic(Path(tmp) / "inv", factor))
    start, cpu = time.perf_counter(), time.process_time()
    run = run_offline(ref, inv)
    text = run.plan.to_json()
    violations = evaluate(run.plan)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if violations:
        raise SystemExit(f"{factor}x: policy violations: {violations[:3]}")
    del text
    return elapsed, cpu, len(run.plan.resources), len(run.placement.assignment)


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
    args = parser.parse_args()
    factors = [int(f) for f in args.factors.split(",")]
    example = load_inventory(ROOT / "inventory")
    base = [estate_from_inventory(example, platform=p) for p in HypervisorPlatform]

    print(
        f"{'scale':>6} {'plan s':>9} {'cpu s':>8} {'ratio':>7} {'resources':>10} {'VMs':>7}   "
        f"{'place cpu':>9} {'ratio':>7} {'VMs':>7} {'hosts':>6} {'bound':>6} {'over':>6}"
    )
    first: tuple[float, float] | None = None
    for f in factors:
        pt, pc, resources, pvms = plan_time(f)
        lt, vms, used, bound = place_time(base, f, args.overcommit)
        if first is None:
            first = (pc, lt)
        print(
            f"{f:>5}x {pt:>9.2f} {pc:>8.2f} {pc / first[0]:>7.1f} {resources:>10} {pvms:>7}   "
            f"{lt:>9.3f} {lt / first[1]:>7.1f} {vms:>7} {used:>6} {bound:>6} "
            f"{(used - bound) / bound:>6.1%}"
        )


if __name__ == "__main__":
    main()
