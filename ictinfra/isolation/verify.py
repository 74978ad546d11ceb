"""The verifier: reachability computed from the rules as read back, checked against policy.

First-match semantics over header space: each rule's *effective* region is what it
matches minus what every earlier rule matched (whatever their verdict). The permitted
space is the union of the effective regions of accept rules, each piece remembering the
rule that permits it (as Batfish names the line behind a path). The check is two-way:
nothing permitted outside the policy's space (a path opened), and every path of the
policy permitted (a path lost).
"""

from __future__ import annotations

import bisect
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
    complement,
    interval_text,
    proto_text,
    service_text,
    subtract_all,
)

MAX_EXAMPLES = 3  # pieces shown per offending rule; the count says how many more


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
        universe: Box = (0, MAX_ADDR, 0, MAX_ADDR, 0, MAX_PROTO, 0, MAX_PORT)
        cuts = [b for b, _ in index.items]
        out.extend(Permitted(piece, None) for piece in subtract_all([universe], cuts))
    return out


class ZoneMap:
    """Which zones an address interval touches (the outside fills the gaps)."""

    def __init__(self, zones: dict[str, list[Interval]]) -> None:
        spans = [(lo, hi, z) for z, ivs in zones.items() for lo, hi in ivs]
        inside = [(lo, hi) for lo, hi, _ in spans]
        spans.extend((lo, hi, OUTSIDE) for lo, hi in complement(inside))
        spans.sort()
        self._spans = spans
        self._starts = [s[0] for s in spans]
        self.zones = [*zones, OUTSIDE]

    def clip(self, lo: int, hi: int) -> list[tuple[str, int, int]]:
        """The parts of an interval in each zone, in address order."""
        i = max(bisect.bisect_right(self._starts, lo) - 1, 0)
        out = []
        while i < len(self._spans) and self._spans[i][0] <= hi:
            s_lo, s_hi, zone = self._spans[i]
            if s_hi >= lo:
                out.append((zone, max(lo, s_lo), min(hi, s_hi)))
            i += 1
        return out

    def touched(self, lo: int, hi: int) -> list[str]:
        i = max(bisect.bisect_right(self._starts, lo) - 1, 0)
        out: list[str] = []
        while i < len(self._spans) and self._spans[i][0] <= hi:
            _, s_hi, zone = self._spans[i]
            if s_hi >= lo and zone not in out:
                out.append(zone)
            i += 1
        return out


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


def _services(pieces: Iterable[Box]) -> str:
    """A canonical summary ('tcp/22,3389 udp/123', 'ip' for everything) of some boxes.

    Canonical, so that two unions of boxes cut differently (first match fragments them)
    read the same: port-less protocols count only on port 0.
    """
    ports: dict[int, list[Interval]] = defaultdict(list)
    portless: set[int] = set()
    others: list[Interval] = []
    named = {n for _, n in NAMED}
    for b in pieces:
        for _, n in NAMED:
            if b[4] <= n <= b[5]:
                if n in PORTFUL:
                    ports[n].append((b[6], b[7]))
                elif b[6] <= 0 <= b[7]:
                    portless.add(n)
        if b[6] <= 0 <= b[7]:
            others.append((b[4], b[5]))
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
        for zs in zmap.touched(b[0], b[1]):
            for zd in zmap.touched(b[2], b[3]):
                cells[(zs, zd)].append(b)
    return {cell: _services(bx) for cell, bx in sorted(cells.items())}


def _by_zones(zmap: ZoneMap, pieces: Sequence[Box]) -> str:
    """Offending space per zone pair: 'lgwan → mynumber tcp/3389 (e.g. a → b); ...'."""
    cells: dict[tuple[str, str], list[Box]] = defaultdict(list)
    for b in pieces:
        for zs, s_lo, s_hi in zmap.clip(b[0], b[1]):
            for zd, d_lo, d_hi in zmap.clip(b[2], b[3]):
                cells[(zs, zd)].append((s_lo, s_hi, d_lo, d_hi, b[4], b[5], b[6], b[7]))
    parts = []
    for (zs, zd), bx in sorted(cells.items(), key=lambda c: (OUTSIDE in c[0], c[0])):
        first = bx[0]
        parts.append(
            f"{zs} → {zd} {_services(bx)} (e.g. {interval_text(first[0], first[1])} → "
            f"{interval_text(first[2], first[3])})"
        )
    return "; ".join(parts)


def _piece_text(zmap: ZoneMap, b: Box) -> str:
    zs = "/".join(zmap.touched(b[0], b[1]))
    zd = "/".join(zmap.touched(b[2], b[3]))
    return (
        f"{interval_text(b[0], b[1])} → {interval_text(b[2], b[3])} {service_text(b)} ({zs} → {zd})"
    )


@dataclass(frozen=True)
class _Analysis:
    """What the rules do, independent of which file they were read from."""

    permitted: tuple[Permitted, ...]
    opened: tuple[tuple[int, tuple[Box, ...]], ...]  # rule number (-1: policy), pieces
    lost: tuple[tuple[int, tuple[Box, ...]], ...]  # path number, pieces
    proofs: tuple[tuple[int, ...], ...]  # per path: numbers of the permitting rules


def _analyse(flt: PacketFilter, paths: Sequence[AllowedPath]) -> _Analysis:
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
    for i, path in enumerate(paths):
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
) -> Verification:
    """Prove the rules permit exactly the policy's paths; name the rule behind each."""
    key = signature(flt) if cache is not None else None
    analysis = cache.get(key) if cache is not None and key is not None else None
    if analysis is None:
        analysis = _analyse(flt, paths)
        if cache is not None and key is not None:
            cache[key] = analysis
    zmap = ZoneMap(zones)

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
        shown = "; ".join(_piece_text(zmap, b) for b in missing[:MAX_EXAMPLES])
        problems.append(f"{flt.source}: {paths[i].label} is not permitted: {shown}")
    proofs = tuple(
        PathProof(
            path.label,
            path.source_zone,
            path.destination_zone,
            _services(path.boxes),
            tuple(ref(n) for n in numbers),
        )
        for path, numbers in zip(paths, analysis.proofs, strict=True)
    )
    permitted = analysis.permitted
    return Verification(
        name=flt.name,
        source=flt.source,
        problems=tuple(problems),
        matrix=zone_matrix(zmap, (p.box for p in permitted)),
        expected=zone_matrix(zmap, (b for path in paths for b in path.boxes)),
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
        if b[0] <= s <= b[1] and b[2] <= d <= b[3]:
            rule = perm.rule.ref(result.source) if perm.rule else "chain policy accept"
            out.append((service_text(b), rule))
    return sorted(set(out))
