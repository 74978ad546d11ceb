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


LOPSIDED = 8  # a set this many times longer than the other is searched, not merged


def _first_at(ivs: IvSet, value: int) -> int:
    """Index of the first interval of ``ivs`` ending at or after ``value``."""
    i = bisect.bisect_right(ivs, (value, MAX_ADDR + 1)) - 1
    return i if i >= 0 and ivs[i][1] >= value else i + 1


def iv_and(a: IvSet, b: IvSet) -> IvSet:
    """Intersection of two normalised sets: a linear merge, or, when one set is much
    longer (a zone's thousand subnets against a host), a binary search per interval of
    the shorter one, so that the cost follows the shorter set."""
    if len(a) > len(b):
        a, b = b, a
    out: list[Interval] = []
    if len(b) > LOPSIDED * len(a):
        for lo, hi in a:
            j = _first_at(b, lo)
            while j < len(b) and b[j][0] <= hi:
                out.append((max(lo, b[j][0]), min(hi, b[j][1])))
                j += 1
        return tuple(out)
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
    search = len(b) > LOPSIDED * len(a)
    for lo, hi in a:
        cur = lo
        if search:
            j = max(j, _first_at(b, cur))
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
    if len(a) > len(b):
        a, b = b, a
    if len(b) > LOPSIDED * len(a):
        for lo, hi in a:
            j = _first_at(b, lo)
            if j < len(b) and b[j][0] <= hi:
                return True
        return False
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


def contains(outer: Box, inner: Box) -> bool:
    """Whether ``inner`` lies inside ``outer`` (on every dimension)."""
    return all(not iv_minus(i, o) for o, i in zip(outer, inner, strict=True))


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


SHIFTS = (0, 4, 8, 12, 16, 20, 24, 28, 32)  # cell sizes of the index: 1, 16, 256... addresses
BOX_CELLS = 4  # a box is filed at the finest cell size giving it at most this many per side
QUERY_CELLS = 64  # a query side with more cells than this scans the filed cells instead

# A leaf: items of any service, and items of one protocol and port by that pair (many
# rules between the same two hosts differ only by port).
_Leaf = tuple[list[int], dict[tuple[int, int], list[int]]]
_Grid = dict[int, dict[int, _Leaf]]  # cell of one side -> cell of the other -> items


def _service_key(box: Box) -> tuple[int, int] | None:
    """(protocol, port) when a box has exactly one of each."""
    pro, prt = box[2], box[3]
    if len(pro) == 1 and len(prt) == 1 and pro[0][0] == pro[0][1] and prt[0][0] == prt[0][1]:
        return pro[0][0], prt[0][0]
    return None


def _cells(ivs: IvSet, shift: int, limit: int) -> list[int] | None:
    """The cells (addresses >> shift) an address set touches; None past ``limit``."""
    out: list[int] = []
    for lo, hi in ivs:
        first, last = lo >> shift, hi >> shift
        if out and out[-1] >= first:
            first = out[-1] + 1
        if last - first + len(out) >= limit:
            return None
        out.extend(range(first, last + 1))
    return out


def _filed(ivs: IvSet) -> tuple[int, list[int]]:
    """The cell size and cells a box side is filed under."""
    for shift in SHIFTS:
        cells = _cells(ivs, shift, BOX_CELLS)
        if cells is not None:
            return shift, cells
    return SHIFTS[-1], [0]  # unreachable: one cell covers every address


def _cell_meets(cell: int, shift: int, ivs: IvSet) -> bool:
    return _meets(((cell << shift, ((cell + 1) << shift) - 1),), ivs)


class BoxIndex:
    """Boxes with a payload, found by overlap.

    A multi-resolution grid on (source, destination) addresses: each box is filed at
    the cell size that fits it (a host rule in 1-address cells, a subnet rule in
    /24-ish cells, a zone-wide rule in large ones), under each side's cells, in two
    nestings (source then destination, and the reverse). A query walks, for every cell
    size pair in use, the cells of its narrower side and looks up or scans the other:
    host rules in one /24 no longer all meet every query in it.
    """

    def __init__(self) -> None:
        self._grids: dict[tuple[int, int], tuple[_Grid, _Grid]] = {}
        self.items: list[tuple[Box, int]] = []
        # Sorted source cells of each grid, for queries too wide on both sides to list
        # their cells: a range search finds the filed cells they meet (built on demand).
        self._keys: dict[tuple[int, int], list[int]] = {}

    def add(self, box: Box, payload: int) -> None:
        self._keys.clear()
        idx = len(self.items)
        self.items.append((box, payload))
        (ss, src), (ds, dst) = _filed(box[0]), _filed(box[1])
        grid = self._grids.get((ss, ds))
        if grid is None:
            grid = self._grids[(ss, ds)] = ({}, {})
        service = _service_key(box)
        for outer, inner_cells, nest in ((src, dst, grid[0]), (dst, src, grid[1])):
            for a in outer:
                row = nest.setdefault(a, {})
                for b in inner_cells:
                    leaf = row.get(b)
                    if leaf is None:
                        leaf = row[b] = ([], {})
                    if service is None:
                        leaf[0].append(idx)
                    else:
                        leaf[1].setdefault(service, []).append(idx)

    def overlapping(self, box: Box) -> Iterator[tuple[Box, int]]:
        """Items overlapping ``box``, in insertion order (first match needs the order)."""
        found: set[int] = set()
        cells: tuple[dict[int, list[int] | None], dict[int, list[int] | None]] = ({}, {})
        for (ss, ds), (by_src, by_dst) in self._grids.items():
            if ss in cells[0]:
                src = cells[0][ss]
            else:
                src = cells[0][ss] = _cells(box[0], ss, QUERY_CELLS)
            if ds in cells[1]:
                dst = cells[1][ds]
            else:
                dst = cells[1][ds] = _cells(box[1], ds, QUERY_CELLS)
            if src is not None and (dst is None or len(src) <= len(dst)):
                _collect(found, by_src, src, dst, box, 1, ds)
            elif dst is not None:
                _collect(found, by_dst, dst, src, box, 0, ss)
            else:
                keys = self._keys.get((ss, ds))
                if keys is None:
                    keys = self._keys[(ss, ds)] = sorted(by_src)
                for lo, hi in box[0]:
                    first = bisect.bisect_left(keys, lo >> ss)
                    last = bisect.bisect_right(keys, hi >> ss)
                    _collect(found, by_src, keys[first:last], None, box, 1, ds)
        items = self.items
        for idx in sorted(found):
            item = items[idx]
            if overlaps(item[0], box):
                yield item


def _collect(
    found: set[int],
    grid: _Grid,
    outer: list[int],
    inner: list[int] | None,
    box: Box,
    side: int,
    inner_shift: int,
) -> None:
    """Items filed under the ``outer`` cells and the other side's cells (or, when the
    other side has too many, under every filed cell meeting its address set)."""
    service = _service_key(box)
    for a in outer:
        row = grid.get(a)
        if row is None:
            continue
        if inner is not None and len(inner) <= len(row):
            leaves = [leaf for b in inner if (leaf := row.get(b)) is not None]
        elif len(box[side]) == 1:  # one interval: the cells meeting it are a range
            first, last = box[side][0][0] >> inner_shift, box[side][0][1] >> inner_shift
            leaves = [leaf for b, leaf in row.items() if first <= b <= last]
        else:
            leaves = [leaf for b, leaf in row.items() if _cell_meets(b, inner_shift, box[side])]
        for anything, by_service in leaves:
            found.update(anything)
            if service is not None:
                found.update(by_service.get(service, ()))
            else:
                for (proto, port), hit in by_service.items():
                    if iv_contains(box[2], proto) and iv_contains(box[3], port):
                        found.update(hit)
