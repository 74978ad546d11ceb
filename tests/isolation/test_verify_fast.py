"""The fast verifier against the reference algorithm and against brute force.

Random small filters (an 8-address world, a few protocols and ports, overlapping rules,
repeated rules, both chain policies, return-only rules) are verified three ways: the fast
proof, the reference (the whole permitted space, then each question on its pieces), and
brute force (first match evaluated on one point of every class of the header space). All
three must agree on what is opened, by which rule, what is lost, and which rules permit
each path; the reference's permitted space must give every point the rule brute force
finds. Then the same on one large, deliberately broken ruleset.
"""

from __future__ import annotations

import random
from dataclasses import replace
from itertools import product

import pytest

from ictinfra.isolation.filters import Action, FilterRule, PacketFilter
from ictinfra.isolation.policy import AllowedPath
from ictinfra.isolation.space import MAX_ADDR, MAX_PORT, MAX_PROTO, Box, Interval, merge
from ictinfra.isolation.verify import Verification, decide, verify

# Every bound below is one of these values (or a maximum), so one point per value, plus
# one above them (8, 4), stands for every point of its class.
ADDRS = [*range(9), MAX_ADDR]
PROTOS = [*range(5), MAX_PROTO]
PORTS = [*range(5), MAX_PORT]
ZONES: dict[str, list[Interval]] = {"a": [(0, 2)], "b": [(3, 4), (7, 7)], "c": [(5, 6)]}


def _set(rng: random.Random, top: int, values: int) -> tuple[Interval, ...]:
    """A random interval set: sometimes everything, else one to three small intervals."""
    if rng.random() < 0.2:
        return ((0, top),)
    out = []
    for _ in range(rng.randint(1, 3)):
        lo = rng.randint(0, values - 1)
        out.append((lo, min(values - 1, lo + rng.choice([0, 0, 1, 2]))))
    return tuple(merge(out))


def _box(rng: random.Random) -> Box:
    return (
        _set(rng, MAX_ADDR, 8),
        _set(rng, MAX_ADDR, 8),
        _set(rng, MAX_PROTO, 4),
        _set(rng, MAX_PORT, 4),
    )


def _filter(rng: random.Random) -> PacketFilter:
    rules: list[FilterRule] = []
    for line in range(1, rng.randint(1, 14) + 1):
        if rules and rng.random() < 0.15:
            old = rng.choice(rules)  # a repeated rule (the same boxes again)
            rules.append(FilterRule(line, f"again {old.line}", old.action, old.boxes))
            continue
        action: Action = "accept" if rng.random() < 0.6 else "drop"
        boxes = tuple(_box(rng) for _ in range(rng.choice([1, 1, 1, 2])))
        rules.append(FilterRule(line, f"r{line}", action, boxes, matches_new=rng.random() > 0.1))
    default: Action = "accept" if rng.random() < 0.25 else "drop"
    return PacketFilter("t", "t.nft", "test", tuple(rules), default)


def _paths(rng: random.Random, count: int) -> list[AllowedPath]:
    return [
        AllowedPath(f"p{i}", "a", "b", tuple(_box(rng) for _ in range(rng.choice([1, 2]))))
        for i in range(count)
    ]


Point = tuple[int, int, int, int]
POINTS = list(product(ADDRS, ADDRS, PROTOS, PORTS))


def _points(box: Box) -> set[Point]:
    """The sample points inside a box."""
    inside = [
        [v for v in values if any(lo <= v <= hi for lo, hi in dim)]
        for dim, values in zip(box, (ADDRS, ADDRS, PROTOS, PORTS), strict=True)
    ]
    return set(product(*inside))


def _first_match(flt: PacketFilter) -> dict[Point, int | None]:
    """Brute force, every sample point: the accepting rule's number (-1: chain policy),
    None when dropped."""
    out: dict[Point, int | None] = {}
    for number, rule in enumerate(flt.rules):
        if rule.matches_new:
            for box in rule.boxes:
                for point in _points(box) - out.keys():
                    out[point] = number if rule.action == "accept" else None
    default = -1 if flt.default == "accept" else None
    return {point: out.get(point, default) for point in POINTS}


def _brute(
    flt: PacketFilter, paths: list[AllowedPath], required: list[AllowedPath]
) -> tuple[set[int], set[int], list[set[int]], dict[Point, int | None]]:
    first = _first_match(flt)
    allowed = set().union(*(_points(b) for p in paths for b in p.boxes))
    opened = {rule for point, rule in first.items() if rule is not None and point not in allowed}
    lost: set[int] = set()
    proofs: list[set[int]] = []
    for i, path in enumerate(required):
        inside = set().union(*(_points(b) for b in path.boxes))
        rules = {first[point] for point in inside}
        if None in rules:
            lost.add(i)
        proofs.append({r for r in rules if r is not None})
    return opened, lost, proofs, first


def _opened_rules(result: Verification, flt: PacketFilter) -> set[int]:
    refs = {rule.ref(flt.source): k for k, rule in enumerate(flt.rules)}
    out = set()
    for problem in result.problems:
        if "permits what" in problem:
            head = problem.split(": permits what", 1)[0]
            out.add(-1 if head.endswith("chain policy accept") else refs[head])
    return out


def _lost_paths(result: Verification, required: list[AllowedPath]) -> set[int]:
    return {
        i
        for i, path in enumerate(required)
        if any(f": {path.label} is not permitted" in p for p in result.problems)
    }


def _numbers(result: Verification, flt: PacketFilter) -> list[set[int]]:
    refs = {rule.ref(flt.source): k for k, rule in enumerate(flt.rules)}
    refs[f"{flt.source}: chain policy accept"] = -1
    return [{refs[r] for r in proof.rules} for proof in result.proofs]


@pytest.mark.parametrize("seed", range(8))
def test_fast_equals_reference_equals_brute_force(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    for _ in range(12):
        flt = _filter(rng)
        paths = _paths(rng, rng.randint(1, 4))
        required = paths[: rng.randint(1, len(paths))]
        fast = verify(flt, paths, ZONES, required=required)
        ref = verify(flt, paths, ZONES, required=required, reference=True)
        opened, lost, proofs, first = _brute(flt, paths, required)
        # The proof: the same rules named as opening a path, the same paths lost, the
        # same rules (in the same order) behind each path.
        assert _opened_rules(fast, flt) == _opened_rules(ref, flt) == opened
        assert _lost_paths(fast, required) == _lost_paths(ref, required) == lost
        assert [p.rules for p in fast.proofs] == [p.rules for p in ref.proofs]
        assert _numbers(fast, flt) == proofs
        # What is opened reads the same; the permitted space gives every point its rule.
        assert [p for p in fast.problems if "permits what" in p] == [
            p for p in ref.problems if "permits what" in p
        ]
        assert fast.matrix == ref.matrix
        for point in POINTS[::7]:
            rule = first[point]
            want = None if rule is None else flt.rules[rule].ref(flt.source) if rule >= 0 else ""
            got = decide(fast, _ip(point[0]), _ip(point[1]), point[2], point[3])
            assert (got if got != "chain policy accept" else "") == want, point


def _ip(value: int) -> str:
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))


def test_a_large_broken_ruleset_is_caught_the_same_way() -> None:
    """Thousands of host rules, repeated ones, one accept too wide deep inside, one
    allowed path shadowed by an earlier drop: both algorithms name the same rule and path."""
    rng = random.Random(11)  # noqa: S311 - reproducible test data, not secrets
    host = [(a, a) for a in range(0x0A000000, 0x0A000000 + 4096)]
    allowed = AllowedPath(
        "hosts",
        "a",
        "b",
        ((((host[0][0], host[-1][1]),), ((host[0][0], host[-1][1]),), ((6, 6),), ((1, 1024),)),),
    )
    dns: Box = (((1, 1),), ((2, 2),), ((17, 17),), ((53, 53),))
    shadowed = AllowedPath("shadowed", "a", "b", (dns,))
    rules = [FilterRule(1, "drop dns", "drop", (dns,))]
    for line in range(2, 3000):
        s, d = rng.choice(host), rng.choice(host)
        box: Box = ((s,), (d,), ((6, 6),), ((rng.randint(1, 1024),) * 2,))
        rules.append(FilterRule(line, f"host {line}", "accept", (box,)))
        if line % 7 == 0:
            rules.append(FilterRule(line, f"again {line}", "accept", (box,)))
    wide: Box = ((host[5],), ((0, MAX_ADDR),), ((6, 6),), ((443, 443),))
    rules.insert(1500, FilterRule(9999, "too wide", "accept", (wide,)))
    rules.append(FilterRule(5000, "dns", "accept", (dns,)))
    flt = PacketFilter("big", "big.nft", "test", tuple(rules))
    paths = [allowed, shadowed]
    required = [shadowed, replace(allowed, label="one host pair", boxes=(rules[2].boxes[0],))]
    fast = verify(flt, paths, ZONES, required=required)
    ref = verify(flt, paths, ZONES, required=required, reference=True)
    assert _opened_rules(fast, flt) == _opened_rules(ref, flt) == {1500}
    assert _lost_paths(fast, required) == _lost_paths(ref, required) == {0}
    assert [p.rules for p in fast.proofs] == [p.rules for p in ref.proofs]
    assert fast.proofs[0].rules == ()  # the later accept never matches: the drop is first
    assert fast.proofs[1].rules[0] == "big.nft:3"
