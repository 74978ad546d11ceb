"""Header space arithmetic: products of interval sets, for first-match evaluation.

A packet of a new connection is a point (source address, destination address, IP
protocol, destination port). A rule matches a *box*: the product of four interval sets
(a zone's subnets as one set, so a zone-to-zone rule is one box, not one per pair of
subnets). Port-less protocols (ICMP, OSPF...) use port 0 only, so "any port" of a
port-less rule and "port 0" of a port-ful one never meet by accident.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

MAX_ADDR = 2**32 - 1
MAX_PORT = 65535
MAX_PROTO = 255
TCP, UDP, ICMP, OSPF = 6, 17, 1, 89
PROTO_NAMES = {"tcp": TCP, "udp": UDP, "icmp": ICMP, "ospf": OSPF}
PORTFUL = frozenset({TCP, UDP})

Interval = tuple[int, int]
IvSet = tuple[Interval, ...]  # sorted, disjoint, not adjacent, never empty in a box
# Sources, destinations, protocols, destination ports.
Box = tuple[IvSet, IvSet, IvSet, IvSet]


def net_interval(net: ipaddress.IPv4Network) -> Interval:
    return int(net.network_address), int(net.broadcast_address)


def addr(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


def interval_text(lo: int, hi: int) -> str:
    """An address interval as a CIDR when it is one, else 'a-b'."""
    if lo == hi:
        return addr(lo)
    nets = list(
        ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))
    )
    if len(nets) == 1:
        return "any" if nets[0].prefixlen == 0 else str(nets[0])
    return f"{addr(lo)}-{addr(hi)}"


def set_text(ivs: IvSet, limit: int = 2) -> str:
    shown = ", ".join(interval_text(lo, hi) for lo, hi in ivs[:limit])
    return shown + (f" (+{len(ivs) - limit})" if len(ivs) > limit else "")


def proto_text(lo: int, hi: int) -> str:
    names = {v: k for k, v in PROTO_NAMES.items()}
    if lo == 0 and hi == MAX_PROTO:
        return "ip"
    if lo == hi:
        return names.get(lo, str(lo))
    return f"proto {lo}-{hi}"


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def complement(intervals: Sequence[Interval], top: int = MAX_ADDR) -> list[Interval]:
    """The intervals of [0, top] not covered by ``intervals``."""
    out: list[Interval] = []
    nxt = 0
    for lo, hi in merge(intervals):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= top:
        out.append((nxt, top))
    return out


def iv_and(a: IvSet, b: IvSet) -> IvSet:
    """Intersection of two normalised sets (a linear merge)."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def iv_minus(a: IvSet, b: IvSet) -> IvSet:
    out: list[Interval] = []
    j = 0
    for lo, hi in a:
        cur = lo
        while j < len(b) and b[j][1] < cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > cur:
                out.append((cur, b[k][0] - 1))
            cur = max(cur, b[k][1] + 1)
            k += 1
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def iv_contains(a: IvSet, value: int) -> bool:
    i = bisect.bisect_right(a, (value, MAX_ADDR + 1)) - 1
    return i >= 0 and a[i][0] <= value <= a[i][1]


def _meets(a: IvSet, b: IvSet) -> bool:
    """Whether two sets share a point (a merge that stops at the first one)."""
    if a[-1][1] < b[0][0] or b[-1][1] < a[0][0]:
        return False
    if len(a) == 1 and len(b) == 1:
        return True  # the bounds overlap
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][1] < b[j][0]:
            i += 1
        elif b[j][1] < a[i][0]:
            j += 1
        else:
            return True
    return False


def overlaps(a: Box, b: Box) -> bool:
    return _meets(a[2], b[2]) and _meets(a[3], b[3]) and _meets(a[0], b[0]) and _meets(a[1], b[1])


def intersect(a: Box, b: Box) -> Box | None:
    parts = tuple(iv_and(x, y) for x, y in zip(a, b, strict=True))
    if not all(parts):
        return None
    return parts  # type: ignore[return-value]


def subtract(a: Box, b: Box) -> list[Box]:
    """``a`` minus ``b`` as disjoint boxes (at most one per dimension)."""
    if not overlaps(a, b):
        return [a]
    out: list[Box] = []
    kept = list(a)
    for dim in range(4):
        outside = iv_minus(kept[dim], b[dim])
        if outside:
            piece = list(kept)
            piece[dim] = outside
            out.append(tuple(piece))  # type: ignore[arg-type]
        kept[dim] = iv_and(kept[dim], b[dim])
    return out


def coalesce(cuts: Iterable[Box]) -> list[Box]:
    """Fewer, larger boxes with the same union: cuts alike but on one side are merged
    (a list of 'deny ip any <subnet>' becomes one box), so subtraction stays linear."""
    by_rest: dict[tuple[IvSet, IvSet, IvSet], list[Interval]] = {}
    for b in cuts:
        by_rest.setdefault((b[0], b[2], b[3]), []).extend(b[1])
    by_dst: dict[tuple[IvSet, IvSet, IvSet], list[Interval]] = {}
    for (src, pro, prt), dst in by_rest.items():
        by_dst.setdefault((tuple(merge(dst)), pro, prt), []).extend(src)
    return [(tuple(merge(src)), dst, pro, prt) for (dst, pro, prt), src in by_dst.items()]


LINEAR_CUTS = 16  # below this many cuts, subtract one by one


def subtract_all(pieces: Iterable[Box], cuts: Iterable[Box]) -> list[Box]:
    """``pieces`` minus the union of ``cuts``, as disjoint boxes."""
    merged = coalesce(cuts)
    out: list[Box] = []
    for piece in pieces:
        out.extend(_minus(piece, [c for c in merged if overlaps(piece, c)], 0))
    return out


def _minus(box: Box, cuts: list[Box], depth: int) -> list[Box]:
    """Divide and conquer on the addresses: many small cuts (host rules) would otherwise
    cut every piece of every other, quadratic in the number of rules."""
    if not cuts:
        return [box]
    if len(cuts) > LINEAR_CUTS and depth < 64:  # a bound on the recursion
        for dim in (0, 1):
            starts = sorted(c[dim][0][0] for c in cuts)
            mid = starts[len(starts) // 2]
            low = iv_and(box[dim], ((0, mid - 1),)) if mid > 0 else ()
            high = iv_and(box[dim], ((mid, MAX_ADDR),))
            if low and high:
                out: list[Box] = []
                for half in (low, high):
                    part = list(box)
                    part[dim] = half
                    sub: Box = tuple(part)  # type: ignore[assignment]
                    out.extend(_minus(sub, [c for c in cuts if overlaps(sub, c)], depth + 1))
                return out
    out = [box]
    for cut in cuts:
        if not out:
            break
        nxt: list[Box] = []
        for p in out:
            nxt.extend(subtract(p, cut))
        out = nxt
    return out


def boxes(
    sources: Sequence[Interval],
    destinations: Sequence[Interval],
    protos: Sequence[Interval],
    ports: Sequence[Interval],
) -> list[Box]:
    """One box for the product (none if a side is empty); port-less protocols: port 0."""
    src, dst, pro = tuple(merge(sources)), tuple(merge(destinations)), tuple(merge(protos))
    if not (src and dst and pro):
        return []
    single_portless = len(pro) == 1 and pro[0][0] == pro[0][1] and pro[0][0] not in PORTFUL
    prt: IvSet = ((0, 0),) if single_portless else tuple(merge(ports))
    if not prt:
        return []
    return [(src, dst, pro, prt)]


def service_text(box: Box) -> str:
    parts = []
    for lo, hi in box[2]:
        if lo == hi and lo in PORTFUL:
            ports = ",".join(str(a) if a == b else f"{a}-{b}" for a, b in box[3])
            parts.append(f"{proto_text(lo, hi)}/{ports}")
        else:
            parts.append(proto_text(lo, hi))
    return " ".join(parts)


BUCKET_SHIFT = 8  # /24 buckets
MAX_BUCKETS = 256  # an interval wider than 256 buckets (a /16) is not bucketed on that side
SIDES = (0, 1)  # a box is bucketed on its source addresses, else on its destinations


def _keys(ivs: IvSet) -> set[int] | None:
    """The /24 buckets of a set of addresses; None when too wide to bucket."""
    keys: set[int] = set()
    for lo, hi in ivs:
        first, last = lo >> BUCKET_SHIFT, hi >> BUCKET_SHIFT
        if last - first >= MAX_BUCKETS or len(keys) > MAX_KEYS:
            return None
        keys.update(range(first, last + 1))
    return keys


MAX_PAIRS = 1024  # a box is bucketed on (source, destination) pairs up to this many
MAX_KEYS = 1024  # a set of more buckets than this (a whole zone at scale) is not bucketed


class BoxIndex:
    """Boxes with a payload, found by overlap.

    Bucket grids: on (source /24, destination /24) pairs for boxes narrow on both sides
    (host and subnet rules: most of a ruleset), else on the narrow side, else a list
    every query scans.
    """

    def __init__(self) -> None:
        self._pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
        self._pair_members: list[int] = []
        self._pair_sides: tuple[dict[int, list[int]], ...] = (defaultdict(list), defaultdict(list))
        self._grids: tuple[dict[int, list[int]], ...] = (defaultdict(list), defaultdict(list))
        self._members: tuple[list[int], ...] = ([], [])
        self._wide: list[int] = []
        self.items: list[tuple[Box, int]] = []

    def add(self, box: Box, payload: int) -> None:
        idx = len(self.items)
        self.items.append((box, payload))
        src, dst = _keys(box[0]), _keys(box[1])
        if src is not None and dst is not None and len(src) * len(dst) <= MAX_PAIRS:
            for a in src:
                for b in dst:
                    self._pairs[(a, b)].append(idx)
            for key in src:
                self._pair_sides[0][key].append(idx)
            for key in dst:
                self._pair_sides[1][key].append(idx)
            self._pair_members.append(idx)
            return
        for side, narrow in ((0, src), (1, dst)):
            if narrow is not None:
                for key in narrow:
                    self._grids[side][key].append(idx)
                self._members[side].append(idx)
                return
        self._wide.append(idx)

    def overlapping(self, box: Box) -> Iterator[tuple[Box, int]]:
        """Items overlapping ``box``, in insertion order (first match needs the order)."""
        found: set[int] = set(self._wide)
        src, dst = _keys(box[0]), _keys(box[1])
        if src is not None and dst is not None and len(src) * len(dst) <= MAX_PAIRS:
            for a in src:
                for b in dst:
                    found.update(self._pairs.get((a, b), ()))
        elif src is not None or dst is not None:
            side, keys = (0, src) if src is not None else (1, dst)
            for key in keys or ():
                found.update(self._pair_sides[side].get(key, ()))
        else:
            found.update(self._pair_members)
        for side, keys in ((0, src), (1, dst)):
            if keys is None:
                found.update(self._members[side])
                continue
            grid = self._grids[side]
            for key in keys:
                found.update(grid.get(key, ()))
        for idx in sorted(found):
            item = self.items[idx]
            if overlaps(item[0], box):
                yield item
