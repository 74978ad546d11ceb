"""How verification cost grows with the number of rules: the example, then synthetic
rulesets of 1,000, 10,000 and 50,000 rules (ratios against the example's gateway ruleset,
measured in the same run; these machines are noisy).

A synthetic ruleset is the example gateway's generated ruleset with N extra rules inserted
before its flow rules: host-to-host accepts inside the policy's paths (so the proof still
holds and every rule is analysed, not rejected) and one drop in ten, so that first-match
cuts really happen. The text is parsed back and verified exactly as `./inv plan` does.
Times are wall seconds and, beside them, this process's CPU seconds (what a loaded
machine distorts least).

With ``--reference``, the rulesets of at most ``--reference-max`` rules are verified again
by the first algorithm (the whole permitted space, then each question on its pieces) in
the same run: its seconds, the speed-up, and whether both found the same problems.

    .venv/bin/python bench/reachability_scale.py [--sizes 1000 10000 50000] [--seed 7]
        [--reference] [--reference-max 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ictinfra.inventory import load_inventory  # noqa: E402
from ictinfra.isolation.generate import gateways, render_all  # noqa: E402
from ictinfra.isolation.parse_nft import parse_nftables  # noqa: E402
from ictinfra.isolation.policy import ALPHA, allowed_paths, zone_intervals  # noqa: E402
from ictinfra.isolation.space import MAX_PORT, PORTFUL, addr  # noqa: E402
from ictinfra.isolation.step import check_all  # noqa: E402
from ictinfra.isolation.verify import verify  # noqa: E402


def _point(rng: random.Random, ivs: tuple[tuple[int, int], ...]) -> int:
    lo, hi = rng.choice(ivs)
    return rng.randint(lo, hi)


def synthetic(base: str, paths: list, size: int, seed: int) -> str:  # type: ignore[type-arg]
    """The base ruleset with ``size`` extra rules drawn inside the policy's paths."""
    rng = random.Random(seed)
    flows = [p for p in paths if p.label.startswith("flow ")]
    extra = []
    for n in range(size):
        if n % 10 == 9:
            # A drop between two different zones on a port no flow uses: it cuts nothing
            # the policy allows, but every later rule must still be cut by it.
            a, b = rng.sample(flows, 2)
            src, dst = addr(_point(rng, a.boxes[0][0])), addr(_point(rng, b.boxes[0][1]))
            if a.source_zone != b.destination_zone:
                extra.append(
                    f"\t\tip saddr {src} ip daddr {dst} tcp dport 9 counter drop "
                    f'comment "synthetic {n}"'
                )
                continue
        path = rng.choice(flows)
        box = rng.choice(path.boxes)
        src, dst = addr(_point(rng, box[0])), addr(_point(rng, box[1]))
        proto = _point(rng, box[2])
        if proto in PORTFUL:
            port = _point(rng, box[3]) if box[3] != ((0, MAX_PORT),) else rng.randint(1, 65535)
            match = f"{'tcp' if proto == 6 else 'udp'} dport {port}"
        else:
            match = f"ip protocol {proto}"
        extra.append(
            f'\t\tip saddr {src} ip daddr {dst} {match} counter accept comment "synthetic {n}"'
        )
    lines = base.splitlines()
    at = next(i for i, line in enumerate(lines) if "ct state invalid" in line) + 1
    return "\n".join([*lines[:at], *extra, *lines[at:]]) + "\n"


def measure(
    text: str,
    paths: list,  # type: ignore[type-arg]
    zones: dict,  # type: ignore[type-arg]
    *,
    reference: bool = False,
) -> tuple[int, float, float, float, tuple[str, ...]]:
    """Rules, parse seconds, verify seconds (wall), parse + verify CPU seconds, problems."""
    cpu = time.process_time()
    start = time.perf_counter()
    flt = parse_nftables(text, "bench.nft")
    parsed = time.perf_counter() - start
    start = time.perf_counter()
    result = verify(flt, paths, zones, "alpha", reference=reference)
    verified = time.perf_counter() - start
    return len(flt.rules), parsed, verified, time.process_time() - cpu, result.problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference", action="store_true", help="also run the first algorithm")
    parser.add_argument("--reference-max", type=int, default=20000)
    args = parser.parse_args()
    inv = load_inventory(ROOT / "inventory")
    artifacts = render_all(inv, ALPHA)
    paths = allowed_paths(inv, ALPHA)
    zones = zone_intervals(inv)
    start = time.perf_counter()
    checked = check_all(inv, ALPHA, artifacts)
    whole = time.perf_counter() - start
    rules = sum(c.verification.rules for c in checked if c.verification)
    print(
        f"example, every enforcement point ({len(checked)}: gateways and device ACLs, "
        f"{rules} rules): {whole:.2f} s, {sum(len(c.problems) for c in checked)} problems"
    )
    base = artifacts[f"isolation/nftables/{gateways(inv)[0].name}.nft"]
    texts = [("example gateway", base)]
    texts += [
        (f"synthetic {size:,}", synthetic(base, paths, size, args.seed)) for size in args.sizes
    ]
    rows = [(name, text, *measure(text, paths, zones)) for name, text in texts]
    baseline = rows[0][3] + rows[0][4]
    print(
        f"{'ruleset':<20}{'rules':>8}{'parse s':>10}{'verify s':>10}{'total s':>10}"
        f"{'cpu s':>9}{'ratio':>9}{'µs/rule':>9}{'problems':>10}"
    )
    for name, _, count, parsed, verified, cpu, problems in rows:
        total = parsed + verified
        print(
            f"{name:<20}{count:>8}{parsed:>10.3f}{verified:>10.3f}{total:>10.3f}{cpu:>9.3f}"
            f"{total / baseline:>9.1f}{1e6 * total / count:>9.0f}{len(problems):>10}"
        )
    if not args.reference:
        return
    print(f"\nreference algorithm (rulesets of at most {args.reference_max:,} rules)")
    print(f"{'ruleset':<20}{'rules':>8}{'fast s':>10}{'ref s':>10}{'speed-up':>10}{'same':>6}")
    for name, text, count, _, verified, _, problems in rows:
        if count > args.reference_max:
            continue
        _, _, slow, _, ref_problems = measure(text, paths, zones, reference=True)
        same = "yes" if ref_problems == problems else "NO"
        print(
            f"{name:<20}{count:>8}{verified:>10.3f}{slow:>10.3f}{slow / verified:>10.1f}{same:>6}"
        )


if __name__ == "__main__":
    main()
