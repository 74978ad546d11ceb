"""How `plan` cost grows with the inventory: 1x, 10x, 100x synthetic estates (and the example).

Each plan runs in a fresh child process so that its peak memory is its own. Ratios are
against the 1x run of the same invocation (these machines are noisy).

    .venv/bin/python bench/plan_scale.py [--scales 1 10 100]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(inventory: str, out: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    # Imported in the child so that its peak memory is the plan's alone.
    from ictinfra.inventory import load_inventory  # noqa: PLC0415
    from ictinfra.plan import run_plan  # noqa: PLC0415

    start = time.perf_counter()
    try:
        result = run_plan(Path(inventory), Path(out))
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which would wait forever
        queue.put(exc)
        return
    total = time.perf_counter() - start
    start = time.perf_counter()
    inv = load_inventory(Path(inventory))
    loaded = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    servers = sum(len(s.servers) for s in inv.systems)
    queue.put(
        (
            total,
            loaded,
            peak_mb,
            len(inv.devices),
            len(inv.systems),
            servers,
            len(inv.flows),
            len(result.artifacts),
        )
    )


def measure(inventory: Path, out: Path) -> tuple[float, ...]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(str(inventory), str(out), queue))
    proc.start()
    values = queue.get()
    proc.join()
    if isinstance(values, Exception):
        raise SystemExit(f"plan of {inventory} failed: {values}")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    args = parser.parse_args()
    from ictinfra.inventory.synthetic import write_synthetic  # noqa: PLC0415

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if (ROOT / "inventory" / "organisation.yml").exists():
            rows.append(("example", *measure(ROOT / "inventory", work / "out-example")))
        for scale in args.scales:
            inv = write_synthetic(work / f"inv-{scale}", scale)
            rows.append((f"{scale}x", *measure(inv, work / f"out-{scale}")))
    base = next(r for r in rows if r[0] == f"{args.scales[0]}x")
    header = (
        f"{'inventory':>9} {'devices':>7} {'systems':>7} {'servers':>7} {'flows':>6} "
        f"{'artifacts':>9} {'load s':>7} {'plan s':>7} {'x time':>7} {'peak MB':>8} {'x mem':>6}"
    )
    print(header)
    for name, total, loaded, peak, devices, systems, servers, flows, artifacts in rows:
        print(
            f"{name:>9} {devices:>7} {systems:>7} {servers:>7} {flows:>6} {artifacts:>9} "
            f"{loaded:>7.2f} {total:>7.2f} {total / base[1]:>7.1f} "
            f"{peak:>8.0f} {peak / base[3]:>6.1f}"
        )


if __name__ == "__main__":
    main()
