"""How `plan` cost grows with the inventory: 1x, 10x, 100x synthetic estates (and the example).

Each plan runs in a fresh child process so that its peak memory is its own (the plan's
steps run in processes forked from it, one per CPU unless --jobs says otherwise). Ratios are
against the first scale of the same invocation (these machines are noisy); per-step
seconds show which layer grows how.

    .venv/bin/python bench/plan_scale.py [--scales 1 10 100] [--steps devices ansible ...]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue as queue_module
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _child(
    inventory: str,
    out: str,
    steps: list[str] | None,
    jobs: int | None,
    queue: mp.Queue,  # type: ignore[type-arg]
) -> None:
    # Imported in the child so that its peak memory is the plan's alone.
    from ictinfra.inventory import load_inventory  # noqa: PLC0415
    from ictinfra.plan import STEPS, run_plan  # noqa: PLC0415

    chosen = tuple(s for s in STEPS if steps is None or s[0] in steps)
    start = time.perf_counter()
    try:
        result = run_plan(Path(inventory), Path(out), steps=chosen, jobs=jobs)
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which would wait forever
        queue.put(exc)
        return
    total = time.perf_counter() - start
    # The steps run in forked children: the peak is the largest of the plan's processes
    # (each child's resident set includes the inventory pages it shares with the parent).
    peak_mb = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    inv = load_inventory(Path(inventory))  # for the counts only, after the measurement
    queue.put(
        {
            "total": total,
            "peak_mb": peak_mb,
            "devices": len(inv.devices),
            "systems": len(inv.systems),
            "servers": sum(len(s.servers) for s in inv.systems),
            "flows": len(inv.flows),
            "artifacts": len(result.artifacts),
            "steps": dict(result.seconds),
        }
    )


def measure(
    inventory: Path, out: Path, steps: list[str] | None, timeout: float, jobs: int | None = None
) -> dict[str, Any] | None:
    """One plan in a child process; None when it takes longer than ``timeout`` seconds."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(str(inventory), str(out), steps, jobs, queue))
    proc.start()
    try:
        values = queue.get(timeout=timeout)
    except queue_module.Empty:
        proc.terminate()
        proc.join()
        return None
    proc.join()
    if isinstance(values, Exception):
        raise SystemExit(f"plan of {inventory} failed: {values}")
    return dict(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--steps", nargs="+", help="only these plan steps (default: all)")
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds before a plan is reported as too slow"
    )
    parser.add_argument(
        "--jobs", type=int, help="steps at once (default: the plan's, one per CPU; 1: serial)"
    )
    args = parser.parse_args()
    from ictinfra.inventory.synthetic import write_synthetic  # noqa: PLC0415

    rows: list[tuple[str, dict[str, Any] | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows.append(
            (
                "example",
                measure(
                    ROOT / "inventory", work / "out-example", args.steps, args.timeout, args.jobs
                ),
            )
        )
        for scale in args.scales:
            inv = write_synthetic(work / f"inv-{scale}", scale)
            rows.append(
                (
                    f"{scale}x",
                    measure(inv, work / f"out-{scale}", args.steps, args.timeout, args.jobs),
                )
            )
    base = rows[1][1]
    if base is None:
        raise SystemExit(f"the {args.scales[0]}x plan took longer than {args.timeout:.0f} s")
    step_names = list(base["steps"])
    print(
        f"{'inventory':>9} {'devices':>7} {'systems':>7} {'servers':>7} {'flows':>6} "
        f"{'artifacts':>9} {'plan s':>7} {'x time':>7} {'peak MB':>8} {'x mem':>6}  "
        + " ".join(f"{n:>9}" for n in step_names)
    )
    for name, r in rows:
        if r is None:
            print(f"{name:>9}  longer than {args.timeout:.0f} s (stopped)")
            continue
        print(
            f"{name:>9} {r['devices']:>7} {r['systems']:>7} {r['servers']:>7} {r['flows']:>6} "
            f"{r['artifacts']:>9} {r['total']:>7.2f} {r['total'] / base['total']:>7.1f} "
            f"{r['peak_mb']:>8.0f} {r['peak_mb'] / base['peak_mb']:>6.1f}  "
            + " ".join(f"{r['steps'].get(n, 0.0):>9.2f}" for n in step_names)
        )


if __name__ == "__main__":
    main()
