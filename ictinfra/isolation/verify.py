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
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

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
    coalesce,
    complement,
    contains,
    intersect,
    iv_and,
    iv_contains,
    merge,
    proto_text,
    service_text,
    set_text,
    subtract_all,
)

UNIVERSE: Box = (((0, MAX_ADDR),), ((0, MAX_ADDR),), ((0, MAX_PROTO),), ((0, MAX_PORT),))


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
        cuts = [b for b, _ in index.items]
        out.extend(Permitted(piece, None) for piece in subtract_all([UNIVERSE], cuts))
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
    """The verdict on one filter. ``permitted`` (the fragments of the permitted space) and
    the zone matrices are computed when first read: the proof does not need them, and at
    scale they cost more than the proof itself."""

    name: str
    source: str
    problems: tuple[str, ...]
    proofs: tuple[PathProof, ...]
    rules: int
    _views: _Views = field(repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def permitted(self) -> tuple[Permitted, ...]:
        return self._views.permitted

    @property
    def matrix(self) -> dict[tuple[str, str], str]:
        """What the rules permit, zone to zone."""
        return self._views.matrix

    @property
    def expected(self) -> dict[tuple[str, str], str]:
        """What the policy allows, zone to zone."""
        return self._views.expected


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


Pieces = tuple[tuple[int, tuple[Box, ...]], ...]  # (rule or path number, boxes)


class _Views:
    """What a report or a host-to-host question reads, computed on first use."""

    def __init__(
        self,
        flt: PacketFilter,
        zmap: ZoneMap,
        required: Sequence[AllowedPath],
        permitted: tuple[tuple[Box, int], ...] | None = None,
    ) -> None:
        self._flt = flt
        self._zmap = zmap
        self._required = required
        if permitted is not None:  # already computed (the reference), by rule number
            self.__dict__["permitted"] = tuple(
                Permitted(box, flt.rules[k] if k >= 0 else None) for box, k in permitted
            )

    @cached_property
    def permitted(self) -> tuple[Permitted, ...]:
        return tuple(permitted_space(self._flt))

    @cached_property
    def matrix(self) -> dict[tuple[str, str], str]:
        return zone_matrix(self._zmap, (p.box for p in self.permitted))

    @cached_property
    def expected(self) -> dict[tuple[str, str], str]:
        return zone_matrix(self._zmap, (b for path in self._required for b in path.boxes))


@dataclass(frozen=True)
class _Analysis:
    """What the rules do, independent of which file they were read from."""

    opened: Pieces  # rule number (-1: chain policy), pieces permitted beyond the policy
    lost: Pieces  # path number, pieces of it not permitted
    proofs: tuple[tuple[int, ...], ...]  # per path: numbers of the permitting rules
    permitted: tuple[tuple[Box, int], ...] | None = None  # the reference's, by rule number


class _Rules:
    """A filter's rule boxes (new connections only), indexed once for every question."""

    def __init__(self, flt: PacketFilter) -> None:
        self.index = BoxIndex()
        # A box seen before (a repeated rule) matches nothing new: it is left out of the
        # index, so that k copies of a rule cost k, not k * k, in every question below.
        self.shadowed: set[tuple[int, Box]] = set()
        first: set[Box] = set()
        # Consecutive drops are filed as their union, coalesced ('deny any <net>' for
        # every subnet of the estate is one box): an accept after them meets one box,
        # not thousands. Only accepts ask questions, never from inside a run of drops.
        run: list[Box] = []
        start = 0
        for number, rule in enumerate(flt.rules):
            if not rule.matches_new:
                continue
            if rule.action == "drop":
                if not run:
                    start = number
                run.extend(rule.boxes)
                first.update(rule.boxes)
                continue
            self._file(run, start)
            run = []
            for box in rule.boxes:
                if box in first:
                    self.shadowed.add((number, box))
                else:
                    first.add(box)
                    self.index.add(box, number)
        self._file(run, start)

    def _file(self, run: list[Box], number: int) -> None:
        for box in coalesce(run) if len(run) > 1 else run:
            self.index.add(box, number)

    def before(self, box: Box, number: int) -> list[Box]:
        """Boxes of the rules before rule ``number`` that overlap ``box``."""
        out = []
        for b, k in self.index.overlapping(box):
            if k >= number:
                break  # in rule order
            out.append(b)
        return out


def _beyond(pieces: Iterable[Box], allowed: BoxIndex) -> list[Box]:
    """The parts of ``pieces`` outside every allowed path."""
    out: list[Box] = []
    for piece in pieces:
        cuts = [b for b, _ in allowed.overlapping(piece)]
        # Nearly always one path holds the whole piece (a rule the generator wrote).
        if not any(contains(cut, piece) for cut in cuts):
            out.extend(subtract_all([piece], cuts))
    return out


def _beyond_memo(box: Box, allowed: BoxIndex, memo: dict[Box, list[Box]]) -> list[Box]:
    out = memo.get(box)
    if out is None:
        out = memo[box] = _beyond([box], allowed)
    return out


def _analyse(
    flt: PacketFilter,
    paths: Sequence[AllowedPath],
    required: Sequence[AllowedPath],
    allowed: BoxIndex | None = None,
    beyond: dict[Box, list[Box]] | None = None,
) -> tuple[Pieces, Pieces, tuple[tuple[int, ...], ...]]:
    """The proof without the permitted space's fragments, one pass over the accept rules.

    An accept rule's effective region is its box minus the earlier rules' boxes.
    Opened: that region leaves the policy iff ``box - allowed - earlier`` is not empty;
    ``box - allowed`` is nearly always empty (the generator writes what the policy
    allows). Lost and proofs: a rule permits part of a required box iff its effective
    region meets it, and what no effective region covers is lost. Each accept box asks
    the index once for the earlier boxes it meets; required boxes are found through a
    small index of their own, so a zone-wide path never scans the rules. The answers
    equal, as sets, what the reference computes from the whole permitted space
    (``tests/isolation/test_verify_fast.py`` checks it against brute force too).
    """
    rules = _Rules(flt)
    allowed = allowed if allowed is not None else _path_index(paths)
    # What of a rule's box the policy does not allow, by box: the same entries (outbound,
    # a zone's own traffic) recur on every device of an estate.
    beyond = beyond if beyond is not None else {}
    wanted = _path_index(required)
    wants = [box for path in required for box in path.boxes]
    opened: dict[int, list[Box]] = {}
    covered: list[list[Box]] = [[] for _ in wants]
    permits: list[list[int]] = [[] for _ in wants]
    for number, rule in enumerate(flt.rules):
        if not rule.matches_new or rule.action != "accept":
            continue
        for box in rule.boxes:
            if (number, box) in rules.shadowed:
                continue  # the same box earlier: it permits nothing
            cuts: list[Box] | None = None
            outside = _beyond_memo(box, allowed, beyond)
            if outside:
                cuts = rules.before(box, number)
                if subtract_all(outside, cuts):
                    # Spelled as the reference does (effective pieces, then the policy),
                    # so that the message reads the same.
                    rest = _beyond(subtract_all([box], cuts), allowed)
                    opened.setdefault(number, []).extend(rest)
            for want, w in wanted.overlapping(box):
                part = intersect(box, want)
                if part is None:
                    continue
                if cuts is None:
                    cuts = rules.before(box, number)
                effective = subtract_all([part], cuts)
                if effective:
                    covered[w].extend(effective)
                    if not permits[w] or permits[w][-1] != number:
                        permits[w].append(number)
    if flt.default == "accept":
        _chain_policy(rules, allowed, wants, opened, covered, permits)
    lost, proofs = _verdicts(required, covered, permits)
    return tuple((k, tuple(v)) for k, v in opened.items()), lost, proofs


def _chain_policy(
    rules: _Rules,
    allowed: BoxIndex,
    wants: list[Box],
    opened: dict[int, list[Box]],
    covered: list[list[Box]],
    permits: list[list[int]],
) -> None:
    """An accepting chain policy permits whatever no rule matches: last in first match."""
    default = subtract_all([UNIVERSE], [b for b, _ in rules.index.items])
    rest = _beyond(default, allowed)
    if rest:
        opened[-1] = rest
    for w, want in enumerate(wants):
        mine = subtract_all([want], [b for b, _ in rules.index.overlapping(want)])
        if mine:
            covered[w].extend(mine)
            permits[w].append(-1)


def _verdicts(
    required: Sequence[AllowedPath], covered: list[list[Box]], permits: list[list[int]]
) -> tuple[Pieces, tuple[tuple[int, ...], ...]]:
    """Per required path: the pieces no rule permits, the permitting rules in order."""
    lost: list[tuple[int, tuple[Box, ...]]] = []
    proofs: list[tuple[int, ...]] = []
    w = 0
    for i, path in enumerate(required):
        found: dict[int, None] = {}
        missing: list[Box] = []
        for want in path.boxes:
            found.update(dict.fromkeys(permits[w]))
            missing.extend(subtract_all([want], covered[w]))
            w += 1
        if missing:
            lost.append((i, tuple(missing)))
        proofs.append(tuple(found))
    return tuple(lost), tuple(proofs)


def _path_index(paths: Sequence[AllowedPath]) -> BoxIndex:
    """The paths' boxes, each with its position among all of them."""
    index = BoxIndex()
    for path in paths:
        for box in path.boxes:
            index.add(box, len(index.items))
    return index


def _analyse_reference(
    flt: PacketFilter, paths: Sequence[AllowedPath], required: Sequence[AllowedPath]
) -> tuple[Pieces, Pieces, tuple[tuple[int, ...], ...], tuple[Permitted, ...]]:
    """The first algorithm: the whole permitted space, then each question on its pieces
    (kept to check the fast one against, and for ``bench/reachability_scale.py``)."""
    permitted = permitted_space(flt)
    numbers = {id(rule): k for k, rule in enumerate(flt.rules)}
    allowed = BoxIndex()
    for i, path in enumerate(paths):
        for box in path.boxes:
            allowed.add(box, i)
    opened: dict[int, list[Box]] = {}
    for perm in permitted:
        rest = subtract_all([perm.box], [b for b, _ in allowed.overlapping(perm.box)])
        if rest:
            key = numbers[id(perm.rule)] if perm.rule is not None else -1
            opened.setdefault(key, []).extend(rest)
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
    return (
        tuple((k, tuple(v)) for k, v in opened.items()),
        tuple(lost),
        tuple(proofs),
        tuple(permitted),
    )


def signature(flt: PacketFilter) -> tuple[object, ...]:
    """Equal for filters whose rules decide the same way, rule for rule (the same ACL on
    many devices, or one scope's entries spelled for two platforms): an analysis speaks
    of rule numbers only, each filter names its own lines."""
    return (flt.default, tuple((r.action, r.boxes, r.matches_new) for r in flt.rules))


def verify(
    flt: PacketFilter,
    paths: Sequence[AllowedPath],
    zones: dict[str, list[Interval]],
    model: str = "",
    cache: dict[tuple[object, ...], Any] | None = None,
    required: Sequence[AllowedPath] | None = None,
    *,
    reference: bool = False,
) -> Verification:
    """Prove the rules permit only the policy's ``paths`` and all of ``required`` (by
    default the same paths); name the rule behind each path. ``reference``: the first,
    slower algorithm (same answers; for checks and benchmarks)."""
    needed = paths if required is None else required
    key = (signature(flt), id(required), reference) if cache is not None else None
    analysis = cache.get(key) if cache is not None and key is not None else None
    zmap = _zone_map(zones, cache)
    if analysis is None:
        if reference:
            opened, lost, found, permitted = _analyse_reference(flt, paths, needed)
            numbers = {id(rule): k for k, rule in enumerate(flt.rules)}
            by_number = tuple(
                (p.box, numbers[id(p.rule)] if p.rule is not None else -1) for p in permitted
            )
            analysis = _Analysis(opened, lost, found, by_number)
        else:
            # The policy's index (and what lies beyond it, by box) is the same for every
            # filter checked against it; kept with the paths it was made of, so that a
            # new list at a reused address is never taken for it.
            shared = cache.get(("allowed", id(paths))) if cache is not None else None
            if shared is None or shared[0] is not paths:
                shared = (paths, _path_index(paths), {})
                if cache is not None:
                    cache[("allowed", id(paths))] = shared
            analysis = _Analysis(*_analyse(flt, paths, needed, shared[1], shared[2]))
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
    return Verification(
        name=flt.name,
        source=flt.source,
        problems=tuple(problems),
        proofs=proofs,
        rules=len(flt.rules),
        _views=_Views(flt, zmap, needed, analysis.permitted),
    )


def _zone_map(
    zones: dict[str, list[Interval]], cache: dict[tuple[object, ...], Any] | None
) -> ZoneMap:
    """One ``ZoneMap`` per zones mapping and cache (built from every zone's subnets)."""
    if cache is None:
        return ZoneMap(zones)
    key = ("zones", id(zones))
    found = cache.get(key)
    if found is None:
        found = cache[key] = ZoneMap(zones)
    return found


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
