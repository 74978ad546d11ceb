"""Header space arithmetic: boxes of inclusive integer intervals, first-match evaluation.

A packet of a new connection is a point (source address, destination address, IP
protocol, destination port). A rule matches a union of *boxes*, each a product of four
intervals. ICMP and other port-less protocols use port 0 only, so "any port" of a
port-less rule and "port 0" of a port-ful one never meet by accident.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

MAX_ADDR = 2**32 - 1
MAX_PORT = 65535
MAX_PROTO = 255
TCP, UDP, ICMP, OSPF = 6, 17, 1, 89
PROTO_NAMES = {"tcp": TCP, "udp": UDP, "icmp": ICMP, "ospf": OSPF}
PORTFUL = frozenset({TCP, UDP})

Interval = tuple[int, int]
# Source low and high, destination low and high, protocol low/high, port low/high.
Box = tuple[int, int, int, int, int, int, int, int]


def net_interval(net: ipaddress.IPv4Network) -> Interval:
    return int(net.network_address), int(net.broadcast_address)


def addr(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


def interval_text(lo: int, hi: int) -> str:
    """An address interval as CIDR(s) when it is one, else 'a-b'."""
    if lo == hi:
        return addr(lo)
    nets = list(
        ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))
    )
    if len(nets) == 1:
        return "any" if nets[0].prefixlen == 0 else str(nets[0])
    return f"{addr(lo)}-{addr(hi)}"


def proto_text(lo: int, hi: int) -> str:
    names = {v: k for k, v in PROTO_NAMES.items()}
    if lo == 0 and hi == MAX_PROTO:
        return "ip"
    if lo == hi:
        return names.get(lo, str(lo))
    return f"proto {lo}-{hi}"


def service_text(box: Box) -> str:
    proto = proto_text(box[4], box[5])
    if box[4] == box[5] and box[4] in PORTFUL:
        ports = str(box[6]) if box[6] == box[7] else f"{box[6]}-{box[7]}"
        return f"{proto}/{ports}"
    return proto


def intersect(a: Box, b: Box) -> Box | None:
    out = (
        max(a[0], b[0]),
        min(a[1], b[1]),
        max(a[2], b[2]),
        min(a[3], b[3]),
        max(a[4], b[4]),
        min(a[5], b[5]),
        max(a[6], b[6]),
        min(a[7], b[7]),
    )
    if out[0] > out[1] or out[2] > out[3] or out[4] > out[5] or out[6] > out[7]:
        return None
    return out


def overlaps(a: Box, b: Box) -> bool:
    return (
        a[0] <= b[1]
        and b[0] <= a[1]
        and a[2] <= b[3]
        and b[2] <= a[3]
        and a[4] <= b[5]
        and b[4] <= a[5]
        and a[6] <= b[7]
        and b[6] <= a[7]
    )


def subtract(a: Box, b: Box) -> list[Box]:
    """``a`` minus ``b`` as disjoint boxes (at most two per dimension)."""
    if not overlaps(a, b):
        return [a]
    out: list[Box] = []
    cur = list(a)
    for dim in range(4):
        lo, hi = 2 * dim, 2 * dim + 1
        if cur[lo] < b[lo]:
            piece = list(cur)
            piece[hi] = b[lo] - 1
            out.append(tuple(piece))  # type: ignore[arg-type]
            cur[lo] = b[lo]
        if cur[hi] > b[hi]:
            piece = list(cur)
            piece[lo] = b[hi] + 1
            out.append(tuple(piece))  # type: ignore[arg-type]
            cur[hi] = b[hi]
    return out


def subtract_all(pieces: Iterable[Box], cuts: Iterable[Box]) -> list[Box]:
    out = list(pieces)
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
    """The product of unions, as boxes; port-less protocols get port 0 only."""
    out: list[Box] = []
    for p_lo, p_hi in protos:
        portful = p_lo == p_hi and p_lo in PORTFUL
        port_list = ports if portful else [(0, 0)] if p_lo == p_hi else ports
        for s in sources:
            for d in destinations:
                out.extend((s[0], s[1], d[0], d[1], p_lo, p_hi, q[0], q[1]) for q in port_list)
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


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


BUCKET_SHIFT = 8  # /24 buckets on the source address
MAX_BUCKETS = 256  # boxes wider than a /16 go to the list every query scans


@dataclass
class BoxIndex:
    """Boxes with a payload, found by overlap; a bucket grid on the source address."""

    def __post_init__(self) -> None:
        self._buckets: dict[int, list[int]] = defaultdict(list)
        self._wide: list[int] = []
        self.items: list[tuple[Box, int]] = []

    def add(self, box: Box, payload: int) -> None:
        idx = len(self.items)
        self.items.append((box, payload))
        first, last = box[0] >> BUCKET_SHIFT, box[1] >> BUCKET_SHIFT
        if last - first >= MAX_BUCKETS:
            self._wide.append(idx)
            return
        for key in range(first, last + 1):
            self._buckets[key].append(idx)

    def overlapping(self, box: Box) -> Iterator[tuple[Box, int]]:
        """Items overlapping ``box``, in insertion order (first match needs the order)."""
        first, last = box[0] >> BUCKET_SHIFT, box[1] >> BUCKET_SHIFT
        if last - first >= MAX_BUCKETS:
            candidates: Iterable[int] = range(len(self.items))
        else:
            found: set[int] = set(self._wide)
            for key in range(first, last + 1):
                found.update(self._buckets.get(key, ()))
            candidates = sorted(found)
        for idx in candidates:
            item = self.items[idx]
            if overlaps(item[0], box):
                yield item
