"""The verifier: reachability computed from the rules as read back, checked against policy.

First-match semantics over header space: each rule's *effective* region is what it
matches minus what every earlier rule matched (whatever their verdict). The permitted
space is the union of the effective regions of accept rules, each piece remembering the
rule that permits it (as Batfish names the line behind a path). The check is two-way:
nothing permitted outside the policy's space (a path opened), and every path of the
policy permitted (a path lost).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ictinfra.isolation.filters import FilterRule, PacketFilter
from ictinfra.isolation.policy import OUTSIDE, AllowedPath
from ictinfra.isolation.space import (
    MAX_ADDR,
    MAX_PORT,
    MAX_PROTO,
    PORTFUL,
    Box,
    BoxIndex,
    Interval,
    IvSet,
    complement,
    iv_and,
    iv_contains,
    merge,
    proto_text,
    service_text,
    set_text,
    subtract_all,
)


@dataclass(frozen=True)
class Permitted:
    box: Box
    rule: FilterRule | None  # None: the chain's default policy accepts


def permitted_space(flt: PacketFilter) -> list[Permitted]:
    """Effective regions of the accept rules, in rule order (first match)."""
    index = BoxIndex()
    out: list[Permitted] = []
    for number, rule in enumerate(flt.rules):
        if not rule.matches_new:
            continue
        if rule.action == "accept":
            for box in rule.boxes:
                cuts = [b for b, _ in index.overlapping(box)]
                out.extend(Permitted(piece, rule) for piece in subtract_all([box], cuts))
        for box in rule.boxes:
            index.add(box, number)
    if flt.default == "accept":
        universe: Box = (((0, MAX_ADDR),), ((0, MAX_ADDR),), ((0, MAX_PROTO),), ((0, MAX_PORT),))
        cuts = [b for b, _ in index.items]
        out.extend(Permitted(piece, None) for piece in subtract_all([universe], cuts))
    return out


class ZoneMap:
    """The address set of every zone; the outside fills the gaps."""

    def __init__(self, zones: dict[str, list[Interval]]) -> None:
        inside = [iv for ivs in zones.values() for iv in ivs]
        self.sets: dict[str, IvSet] = {z: tuple(merge(ivs)) for z, ivs in zones.items()}
        self.sets[OUTSIDE] = tuple(complement(inside))
        self.zones = list(self.sets)

    def clip(self, ivs: IvSet) -> list[tuple[str, IvSet]]:
        """The part of an address set in each zone it touches."""
        out = []
        for zone, zset in self.sets.items():
            if zset and ivs and zset[0][0] <= ivs[-1][1] and ivs[0][0] <= zset[-1][1]:
                part = iv_and(ivs, zset)
                if part:
                    out.append((zone, part))
        return out

    def touched(self, ivs: IvSet) -> list[str]:
        return [zone for zone, _ in self.clip(ivs)]


@dataclass(frozen=True)
class PathProof:
    """A path of the policy and the rules that permit it (empty: lost)."""

    label: str
    source_zone: str
    destination_zone: str
    services: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Verification:
    name: str
    source: str
    problems: tuple[str, ...]
    matrix: dict[tuple[str, str], str]  # what the rules permit, zone to zone
    expected: dict[tuple[str, str], str]  # what the policy allows, zone to zone
    proofs: tuple[PathProof, ...]
    permitted: tuple[Permitted, ...]
    rules: int

    @property
    def ok(self) -> bool:
        return not self.problems


NAMED = (("icmp", 1), ("tcp", 6), ("udp", 17), ("ospf", 89))


def _services(pieces: Iterable[Box]) -> str:  # noqa: PLR0912 - one branch per protocol kind
    """A canonical summary ('tcp/22,3389 udp/123', 'ip' for everything) of some boxes.

    Canonical, so that two unions of boxes cut differently (first match fragments them)
    read the same: port-less protocols count only on port 0.
    """
    ports: dict[int, list[Interval]] = defaultdict(list)
    portless: set[int] = set()
    others: list[Interval] = []
    named = {n for _, n in NAMED}
    for b in pieces:
        has_zero = iv_contains(b[3], 0)
        for lo, hi in b[2]:
            for _, n in NAMED:
                if lo <= n <= hi:
                    if n in PORTFUL:
                        ports[n].extend(b[3])
                    elif has_zero:
                        portless.add(n)
            if has_zero:
                others.append((lo, hi))
    other = _without(_merge(others), named)
    full_ports = [(0, MAX_PORT)]
    everything = (
        all(_merge(ports[n]) == full_ports for n in PORTFUL)
        and {1, 89} <= portless
        and other == _without([(0, MAX_PROTO)], named)
    )
    if everything:
        return "ip"
    parts = []
    for name, n in NAMED:
        if n in PORTFUL and ports.get(n):
            merged = _merge(ports[n])
            if merged == full_ports:
                parts.append(name)
            else:
                parts.append(
                    f"{name}/" + ",".join(str(a) if a == b else f"{a}-{b}" for a, b in merged)
                )
        elif n in portless:
            parts.append(name)
    parts.extend(proto_text(lo, hi) for lo, hi in other)
    return " ".join(parts)


def _without(ivs: list[Interval], points: set[int]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in ivs:
        cur = lo
        for n in sorted(points):
            if lo <= n <= hi:
                if cur <= n - 1:
                    out.append((cur, n - 1))
                cur = n + 1
        if cur <= hi:
            out.append((cur, hi))
    return out


def _merge(ivs: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def zone_matrix(zmap: ZoneMap, pieces: Iterable[Box]) -> dict[tuple[str, str], str]:
    cells: dict[tuple[str, str], list[Box]] = defaultdict(list)
    for b in pieces:
        for zs in zmap.touched(b[0]):
            for zd in zmap.touched(b[1]):
                cells[(zs, zd)].append(b)
    return {cell: _services(bx) for cell, bx in sorted(cells.items())}


def _by_zones(zmap: ZoneMap, pieces: Sequence[Box]) -> str:
    """Space per zone pair: 'lgwan → mynumber tcp/3389 (e.g. a → b); ...'."""
    cells: dict[tuple[str, str], list[Box]] = defaultdict(list)
    for b in pieces:
        for zs, src in zmap.clip(b[0]):
            for zd, dst in zmap.clip(b[1]):
                cells[(zs, zd)].append((src, dst, b[2], b[3]))
    parts = []
    for (zs, zd), bx in sorted(cells.items(), key=lambda c: (OUTSIDE in c[0], c[0])):
        first = bx[0]
        parts.append(
            f"{zs} → {zd} {_services(bx)} (e.g. {set_text(first[0])} → {set_text(first[1])})"
        )
    return "; ".join(parts)


@dataclass(frozen=True)
class _Analysis:
    """What the rules do, independent of which file they were read from."""

    permitted: tuple[Permitted, ...]
    opened: tuple[tuple[int, tuple[Box, ...]], ...]  # rule number (-1: policy), pieces
    lost: tuple[tuple[int, tuple[Box, ...]], ...]  # path number, pieces
    proofs: tuple[tuple[int, ...], ...]  # per path: numbers of the permitting rules
    matrix: dict[tuple[str, str], str]
    expected: dict[tuple[str, str], str]


def _analyse(
    flt: PacketFilter,
    paths: Sequence[AllowedPath],
    required: Sequence[AllowedPath],
    zmap: ZoneMap,
) -> _Analysis:
    permitted = permitted_space(flt)
    numbers = {id(rule): k for k, rule in enumerate(flt.rules)}
    allowed = BoxIndex()
    for i, path in enumerate(paths):
        for box in path.boxes:
            allowed.add(box, i)
    # 1. Nothing permitted beyond the policy: the paths a template bug would open.
    opened: dict[int, list[Box]] = {}
    for perm in permitted:
        rest = subtract_all([perm.box], [b for b, _ in allowed.overlapping(perm.box)])
        if rest:
            key = numbers[id(perm.rule)] if perm.rule is not None else -1
            opened.setdefault(key, []).extend(rest)
    # 2. Every path of the policy permitted, and by which rules.
    index = BoxIndex()
    for k, perm in enumerate(permitted):
        index.add(perm.box, k)
    lost: list[tuple[int, tuple[Box, ...]]] = []
    proofs: list[tuple[int, ...]] = []
    for i, path in enumerate(required):
        rules: dict[int, None] = {}
        missing: list[Box] = []
        for box in path.boxes:
            hits = list(index.overlapping(box))
            for _, k in hits:
                rule = permitted[k].rule
                rules[numbers[id(rule)] if rule is not None else -1] = None
            missing.extend(subtract_all([box], [b for b, _ in hits]))
        if missing:
            lost.append((i, tuple(missing)))
        proofs.append(tuple(rules))
    return _Analysis(
        tuple(permitted),
        tuple((k, tuple(v)) for k, v in opened.items()),
        tuple(lost),
        tuple(proofs),
        zone_matrix(zmap, (p.box for p in permitted)),
        zone_matrix(zmap, (b for path in required for b in path.boxes)),
    )


def signature(flt: PacketFilter) -> tuple[object, ...]:
    """Equal for filters whose rules decide the same way (the same text on many devices)."""
    return (
        flt.default,
        tuple((r.line, r.action, r.boxes, r.matches_new, r.label, r.text) for r in flt.rules),
    )


def verify(
    flt: PacketFilter,
    paths: Sequence[AllowedPath],
    zones: dict[str, list[Interval]],
    model: str = "",
    cache: dict[tuple[object, ...], _Analysis] | None = None,
    required: Sequence[AllowedPath] | None = None,
) -> Verification:
    """Prove the rules permit only the policy's ``paths`` and all of ``required`` (by
    default the same paths); name the rule behind each path."""
    needed = paths if required is None else required
    key = (signature(flt), id(required)) if cache is not None else None
    analysis = cache.get(key) if cache is not None and key is not None else None
    zmap = ZoneMap(zones)
    if analysis is None:
        analysis = _analyse(flt, paths, needed, zmap)
        if cache is not None and key is not None:
            cache[key] = analysis

    def ref(number: int) -> str:
        if number < 0:
            return f"{flt.source}: chain policy accept"
        return flt.rules[number].ref(flt.source)

    problems: list[str] = []
    for number, rest in analysis.opened:
        text = f" ({flt.rules[number].text})" if number >= 0 else ""
        problems.append(
            f"{ref(number)}: permits what the {model or 'policy'} model does not allow{text}: "
            f"{_by_zones(zmap, rest)}"
        )
    for i, missing in analysis.lost:
        problems.append(
            f"{flt.source}: {needed[i].label} is not permitted: {_by_zones(zmap, missing)}"
        )
    proofs = tuple(
        PathProof(
            path.label,
            path.source_zone,
            path.destination_zone,
            _services(path.boxes),
            tuple(ref(n) for n in numbers),
        )
        for path, numbers in zip(needed, analysis.proofs, strict=True)
    )
    permitted = analysis.permitted
    return Verification(
        name=flt.name,
        source=flt.source,
        problems=tuple(problems),
        matrix=analysis.matrix,
        expected=analysis.expected,
        proofs=proofs,
        permitted=permitted,
        rules=len(flt.rules),
    )


def host_paths(result: Verification, source: str, destination: str) -> list[tuple[str, str]]:
    """(service, rule) pairs permitted from one address to another (host to host)."""
    s = int(ipaddress.IPv4Address(source))
    d = int(ipaddress.IPv4Address(destination))
    out = []
    for perm in result.permitted:
        b = perm.box
        if iv_contains(b[0], s) and iv_contains(b[1], d):
            rule = perm.rule.ref(result.source) if perm.rule else "chain policy accept"
            out.append((service_text(b), rule))
    return sorted(set(out))


def _holds(box: Box, point: tuple[int, int, int, int]) -> bool:
    return all(iv_contains(dim, value) for dim, value in zip(box, point, strict=True))


def decide(
    result: Verification, source: str, destination: str, proto: int, port: int
) -> str | None:
    """The rule that permits one new connection, as the verifier read it; None: denied."""
    point = (
        int(ipaddress.IPv4Address(source)),
        int(ipaddress.IPv4Address(destination)),
        proto,
        port,
    )
    for perm in result.permitted:
        if _holds(perm.box, point):
            return perm.rule.ref(result.source) if perm.rule else "chain policy accept"
    return None


def policy_decides(
    paths: Sequence[AllowedPath], source: str, destination: str, proto: int, port: int
) -> str | None:
    """The policy path that allows one new connection; None: the policy denies it."""
    point = (
        int(ipaddress.IPv4Address(source)),
        int(ipaddress.IPv4Address(destination)),
        proto,
        port,
    )
    for path in paths:
        if any(_holds(box, point) for box in path.boxes):
            return path.label
    return None
