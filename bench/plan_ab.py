"""Plan steps of two versions of the code on the same inventories: CPU seconds and outputs.

For speed work on a loaded machine: wall times swing with what else runs, CPU seconds of
one step in one process much less. Each version runs in its own child process per
inventory and round (rounds alternate the versions), loads the inventory, freezes it as
``run_plan`` does, then runs the chosen steps one after the other, timing each. Every
artifact, report section and problem is hashed, and the two versions must agree byte for
byte. The base version is taken from git (``git archive``, the work tree is not touched).

    .venv/bin/python bench/plan_ab.py --base HEAD~3 [--scales 10 100] \\
        [--steps devices ansible netmig] [--rounds 2] [--tree DIR]

The inventories are written once by the current version's synthetic generator, so both
versions read the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Run in the child, with the version under test first on sys.path.
CHILD = r"""
import gc, hashlib, json, sys, time
from pathlib import Path
from ictinfra.inventory import load_inventory
from ictinfra import plan
from ictinfra.report import render_report

inventory, wanted = Path(sys.argv[1]), sys.argv[2].split(",")
cpu, wall = time.process_time(), time.perf_counter()
inv = load_inventory(inventory)
gc.freeze()  # as run_plan does after loading
seconds = {"load": (time.process_time() - cpu, time.perf_counter() - wall)}
hashes = {}
steps = dict(plan.STEPS)
for name in wanted:
    if name not in steps:
        continue
    cpu, wall = time.process_time(), time.perf_counter()
    out = steps[name](inv)
    seconds[name] = (time.process_time() - cpu, time.perf_counter() - wall)
    for path, content in out.artifacts.items():
        data = content.encode() if isinstance(content, str) else content
        hashes[path] = hashlib.sha256(data).hexdigest()
    page = render_report("ab", list(out.sections), "ab")
    hashes[f"<sections of {name}>"] = hashlib.sha256(page.encode()).hexdigest()
    hashes[f"<problems of {name}>"] = hashlib.sha256("\n".join(out.problems).encode()).hexdigest()
import ictinfra
code = str(Path(ictinfra.__file__).parent)
print(json.dumps({"seconds": seconds, "hashes": hashes, "code": code}))
"""


def _base_tree(commit: str, into: Path) -> Path:
    tree = into / "base"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _run(tree: Path, inventory: Path, steps: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(inventory), ",".join(steps)],
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,  # "python -c" puts the working folder first on sys.path
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree} on {inventory} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _median(runs: list[dict[str, Any]], step: str) -> tuple[float, float] | None:
    """(CPU, wall) seconds of ``step``, medians over the rounds; None where it did not run."""
    values = [r["seconds"].get(step) for r in runs]
    if any(v is None for v in values):
        return None
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="git commit of the base version")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the new version (default: here)")
    parser.add_argument("--scales", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--steps", nargs="+", default=["devices", "ansible", "netmig"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--example", action="store_true", help="the example inventory too")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from ictinfra.inventory.synthetic import write_synthetic  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        trees = {"base": _base_tree(args.base, work), "new": args.tree.resolve()}
        inventories = [("example", ROOT / "inventory")] if args.example else []
        inventories += [
            (f"{s}x", write_synthetic(work / f"inv-{s}", s)) for s in sorted(set(args.scales))
        ]
        failed = False
        for label, inventory in inventories:
            runs: dict[str, list[dict[str, Any]]] = {"base": [], "new": []}
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    runs[name].append(_run(tree, inventory, args.steps))
            print(f"\n{label}: CPU seconds, median of {args.rounds} (wall in brackets)")
            print(f"  base: {runs['base'][0]['code']}\n  new:  {runs['new'][0]['code']}")
            print(f"{'step':>10} {'base':>14} {'new':>14} {'new/base':>9}")
            names = [n for n in ["load", *args.steps] if n in runs["new"][0]["seconds"]]
            for step in names:
                cells = [_median(runs[name], step) for name in ("base", "new")]
                text = [f"{c[0]:6.2f} [{c[1]:5.2f}]" if c else f"{'-':>14}" for c in cells]
                old, now = cells
                ratio = f"{now[0] / old[0]:9.2f}" if old and now and old[0] else ""
                print(f"{step:>10} {text[0]:>14} {text[1]:>14} {ratio}")
            base, new = runs["base"][0]["hashes"], runs["new"][0]["hashes"]
            differ = sorted(p for p in base.keys() | new.keys() if base.get(p) != new.get(p))
            if differ:
                failed = True
                print(f"OUTPUTS DIFFER ({len(differ)}): " + ", ".join(differ[:10]))
            else:
                digest = hashlib.sha256(json.dumps(new, sort_keys=True).encode()).hexdigest()
                print(f"outputs identical: {len(new)} hashes (sha256 of all: {digest[:16]})")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
