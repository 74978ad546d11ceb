"""VM placement on hypervisor hosts with N+1 failover headroom.

Constraints, all hard:

- eligibility: a host runs only VMs of its zones (``Hypervisor.zones``; empty: any);
- capacity per host: vCPU up to ``cores x vcpu_overcommit``, memory and storage not
  overcommitted; no VM has more vCPUs than its host has cores;
- anti-affinity: VMs of one group never share a host, also after a failover;
- N+1: for every host in use, its VMs can restart on the other hosts in use within their
  spare capacity. The placement carries that restart plan (``failover``) as a certificate,
  so an independent checker can verify it without trusting this module.

Zones and the hosts that may run them split the estate into independent parts (one per
cluster, in the example). Each part is searched with balanced worst-fit on its ``k``
biggest hosts, ``k`` starting at a lower bound and growing until the failover
certificate exists for every host.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ictinfra.cloud.errors import PlacementError
from ictinfra.cloud.estate import Estate, HostSpec, VmSpec

DIMENSIONS = ("vCPU", "memory (GB)", "storage (GB)")


@dataclass(frozen=True)
class HostLoad:
    host: str
    vms: int
    used: tuple[int, int, int]  # vCPU, memory GB, storage GB
    capacity: tuple[int, int, int]
    peak_after_failure: tuple[int, int, int]  # worst load while another host has failed

    def ratio(self, dim: int) -> float:
        return self.used[dim] / self.capacity[dim]


@dataclass(frozen=True)
class Placement:
    vcpu_overcommit: float
    assignment: Mapping[str, str]  # VM -> host
    failover: Mapping[str, Mapping[str, str]]  # failed host -> VM -> host it restarts on
    hosts_used: tuple[str, ...]
    lower_bound: int
    loads: tuple[HostLoad, ...]
    pool: int  # hosts available


def vcpu_capacity(host: HostSpec, vcpu_overcommit: float) -> int:
    return math.floor(host.cores * vcpu_overcommit)


def capacity(host: HostSpec, vcpu_overcommit: float) -> tuple[int, int, int]:
    return (vcpu_capacity(host, vcpu_overcommit), host.memory_gb, host.storage_gb)


def size(vm: VmSpec) -> tuple[int, int, int]:
    return (vm.vcpu, vm.memory_gb, vm.storage_gb)


def ordered_hosts(hosts: Sequence[HostSpec]) -> list[HostSpec]:
    """Biggest first (memory, cores, storage), then by name: the order hosts are taken in."""
    return sorted(hosts, key=lambda h: (-h.memory_gb, -h.cores, -h.storage_gb, h.name))


def group_sizes(vms: Sequence[VmSpec]) -> Counter[str]:
    return Counter(v.group for v in vms if v.group is not None)


def _names(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


@dataclass(frozen=True)
class Part:
    """VMs and the hosts that may run them, independent of every other part."""

    label: str
    vms: tuple[VmSpec, ...]
    hosts: tuple[HostSpec, ...]


def parts(estate: Estate) -> tuple[tuple[Part, ...], tuple[VmSpec, ...]]:
    """Split by eligibility (zones linked through hosts); also the VMs no host may run."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    vm_zones = sorted({v.zone for v in estate.vms})
    for h in estate.hosts:
        find(f"h:{h.name}")
        for z in h.zones or vm_zones:
            union(f"h:{h.name}", f"z:{z}")
    orphans = tuple(v for v in estate.vms if not any(h.may_run(v) for h in estate.hosts))
    by_root: dict[str, tuple[list[VmSpec], list[HostSpec]]] = {}
    for h in estate.hosts:
        by_root.setdefault(find(f"h:{h.name}"), ([], []))[1].append(h)
    for v in estate.vms:
        if v not in orphans:
            by_root[find(f"z:{v.zone}")][0].append(v)
    out = []
    for vms, hosts in by_root.values():
        zones = sorted({v.zone for v in vms} | {z for h in hosts for z in h.zones})
        clusters = sorted({h.cluster for h in hosts})
        label = f"{', '.join(clusters)} (zones {', '.join(zones) or 'any'})"
        out.append(Part(label, tuple(vms), tuple(hosts)))
    return tuple(sorted(out, key=lambda p: p.label)), orphans


def _bound(vms: Sequence[VmSpec], hosts: Sequence[HostSpec], ratio: float) -> int | None:
    """Fewest of ``hosts`` any N+1 placement of ``vms`` needs (None: not even all of them).

    With ``k`` hosts and any one failed, the other ``k-1`` carry everything: at most the
    2nd..k-th largest capacities in each dimension. A group of ``g`` members needs ``g``
    distinct survivors, so ``k >= g + 1``.
    """
    if not vms:
        return 0
    demand = [sum(size(v)[d] for v in vms) for d in range(3)]
    caps = [capacity(h, ratio) for h in hosts]
    per_dim = [sorted((c[d] for c in caps), reverse=True) for d in range(3)]
    biggest_group = max(group_sizes(vms).values(), default=1)
    for k in range(max(2, biggest_group + 1), len(caps) + 1):
        if all(sum(per_dim[d][1:k]) >= demand[d] for d in range(3)):
            return k
    return None


def part_bound(part: Part, ratio: float) -> int | None:
    """The part's bound, and no smaller than any one zone's bound on its own hosts."""
    bounds = [_bound(part.vms, part.hosts, ratio)]
    for zone in sorted({v.zone for v in part.vms}):
        zvms = [v for v in part.vms if v.zone == zone]
        bounds.append(_bound(zvms, [h for h in part.hosts if h.may_run(zvms[0])], ratio))
    return None if any(b is None for b in bounds) else max(b for b in bounds if b is not None)


def lower_bound(estate: Estate, vcpu_overcommit: float) -> int | None:
    """Fewest hosts any N+1 placement needs; ``None`` when the pool is too small."""
    split, orphans = parts(estate)
    if orphans:
        return None
    total = 0
    for p in split:
        b = part_bound(p, vcpu_overcommit)
        if b is None:
            return None
        total += b
    return total


def _fits_alone(vm: VmSpec, h: HostSpec, ratio: float) -> bool:
    return (
        h.may_run(vm)
        and vm.vcpu <= h.cores
        and all(s <= c for s, c in zip(size(vm), capacity(h, ratio), strict=True))
    )


def _part_problems(part: Part, ratio: float) -> list[str]:
    problems: list[str] = []
    where = part.label
    if part.vms and len(part.hosts) < 2:
        problems.append(f"{where}: N+1 needs at least 2 hosts; there are {len(part.hosts)}")
    too_big = [v.name for v in part.vms if not any(_fits_alone(v, h, ratio) for h in part.hosts)]
    if too_big:
        problems.append(f"{where}: {len(too_big)} VM(s) fit no host at all: {_names(too_big)}")
    zones_of: dict[str, set[str]] = {}
    for v in part.vms:
        if v.group is not None:
            zones_of.setdefault(v.group, set()).add(v.zone)
    able_for: dict[frozenset[str], int] = {}  # hosts that may run every one of these zones
    for group, n in sorted(group_sizes(part.vms).items()):
        zones = frozenset(zones_of[group])
        if zones not in able_for:
            able_for[zones] = sum(1 for h in part.hosts if not h.zones or zones <= set(h.zones))
        if n + 1 > able_for[zones]:
            problems.append(
                f"{where}: anti-affinity group '{group}' has {n} VMs: with N+1 it needs "
                f"{n + 1} hosts that may run them, there are {able_for[zones]}"
            )
    if problems or not part.vms or part_bound(part, ratio) is not None:
        return problems
    demand = [sum(size(v)[d] for v in part.vms) for d in range(3)]
    caps = [capacity(h, ratio) for h in part.hosts]
    for d, label in enumerate(DIMENSIONS):
        ranked = sorted((c[d] for c in caps), reverse=True)
        survivors = sum(ranked[1:])
        if demand[d] > survivors:
            problems.append(
                f"{where}: {label}: the VMs need {demand[d]:,}; with the largest of the "
                f"{len(caps)} hosts failed the others hold {survivors:,} "
                f"(short by {demand[d] - survivors:,})"
            )
    if not problems:
        problems.append(f"{where}: one zone's VMs need more than the hosts that may run them")
    return problems


def infeasibility(estate: Estate, vcpu_overcommit: float) -> tuple[str, ...]:
    """What makes the estate impossible to place, before any search (empty when nothing)."""
    split, orphans = parts(estate)
    problems = []
    if orphans:
        zones = sorted({v.zone for v in orphans})
        problems.append(
            f"no host may run zone(s) {', '.join(zones)}: "
            f"{len(orphans)} VM(s) without a host: {_names([v.name for v in orphans])}"
        )
    for p in split:
        problems.extend(_part_problems(p, vcpu_overcommit))
    return tuple(problems)


@dataclass
class _Attempt:
    """Mutable search state for one part and one ``k`` (never escapes this module)."""

    hosts: list[HostSpec]
    caps: list[tuple[int, int, int]]
    load: list[list[int]]
    groups: list[set[str]]
    vms_on: list[list[VmSpec]]

    def score(self, i: int) -> float:
        return max(self.load[i][d] / self.caps[i][d] for d in range(3))

    def fits(self, i: int, vm: VmSpec, extra: Sequence[int] = (0, 0, 0)) -> bool:
        h = self.hosts[i]
        if vm.vcpu > h.cores or not h.may_run(vm):
            return False
        s = size(vm)
        return all(self.load[i][d] + extra[d] + s[d] <= self.caps[i][d] for d in range(3))


def _vm_order(vms: Sequence[VmSpec], ref: tuple[int, int, int]) -> list[VmSpec]:
    def key(v: VmSpec) -> tuple[float, str]:
        s = size(v)
        return (-max(s[d] / ref[d] for d in range(3)), v.name)

    return sorted(vms, key=key)


def _primary(att: _Attempt, vms: Sequence[VmSpec], first: int = 0) -> str | None:
    """Balanced worst-fit onto hosts ``first..``: each VM goes to the least-loaded host it
    fits. Returns a failure."""
    heap = [(0.0, i) for i in range(first, len(att.hosts))]
    current = [0.0] * len(att.hosts)
    for vm in vms:
        skipped: list[tuple[float, int]] = []
        chosen = None
        while heap:
            score, i = heapq.heappop(heap)
            if score != current[i]:
                continue  # stale entry
            if (vm.group is None or vm.group not in att.groups[i]) and att.fits(i, vm):
                chosen = i
                break
            skipped.append((score, i))
        for entry in skipped:
            heapq.heappush(heap, entry)
        if chosen is None:
            return f"{vm.name} fits none of the {len(att.hosts)} hosts once the others are placed"
        for d, s in enumerate(size(vm)):
            att.load[chosen][d] += s
        if vm.group is not None:
            att.groups[chosen].add(vm.group)
        att.vms_on[chosen].append(vm)
        current[chosen] = att.score(chosen)
        heapq.heappush(heap, (current[chosen], chosen))
    return None


def _failover(
    att: _Attempt, ref: tuple[int, int, int]
) -> tuple[dict[str, dict[str, str]], list[list[int]], str | None]:
    """For each host, a restart target for each of its VMs on the others (first fit)."""
    n = len(att.hosts)
    order = sorted(range(n), key=lambda i: (att.score(i), att.hosts[i].name))
    plan: dict[str, dict[str, str]] = {}
    peak = [list(att.load[i]) for i in range(n)]
    for h in range(n):
        extra: dict[int, list[int]] = {}
        extra_groups: dict[int, set[str]] = {}
        moves: dict[str, str] = {}
        for vm in _vm_order(att.vms_on[h], ref):
            target = None
            for j in order:
                if j == h:
                    continue
                if vm.group is not None and (
                    vm.group in att.groups[j] or vm.group in extra_groups.get(j, ())
                ):
                    continue
                if att.fits(j, vm, extra.get(j, (0, 0, 0))):
                    target = j
                    break
            if target is None:
                return (
                    {},
                    peak,
                    f"if {att.hosts[h].name} fails, {vm.name} has no host to restart on",
                )
            add = extra.setdefault(target, [0, 0, 0])
            for d, s in enumerate(size(vm)):
                add[d] += s
            if vm.group is not None:
                extra_groups.setdefault(target, set()).add(vm.group)
            moves[vm.name] = att.hosts[target].name
        for j, add in extra.items():
            peak[j] = [max(peak[j][d], att.load[j][d] + add[d]) for d in range(3)]
        plan[att.hosts[h].name] = dict(sorted(moves.items()))
    return plan, peak, None


def _tight(att: _Attempt, vms: Sequence[VmSpec], first: int) -> str | None:
    """First-fit decreasing onto hosts ``first..``: pack tightly, hosts before ``first`` stay
    empty (dedicated failover capacity). Returns a failure."""
    n = len(att.hosts)
    smallest = [min((size(v)[d] for v in vms), default=0) for d in range(3)]
    lo = first
    for vm in vms:
        # hosts before ``lo`` cannot take even the smallest VM any more
        while lo < n and any(att.load[lo][d] + smallest[d] > att.caps[lo][d] for d in range(3)):
            lo += 1
        chosen = None
        c, m, g = size(vm)
        # the hot loop at 100x: capacity first (cheap, usually decisive), then the rest
        for i in range(lo, n):
            load, cap = att.load[i], att.caps[i]
            if load[0] + c > cap[0] or load[1] + m > cap[1] or load[2] + g > cap[2]:
                continue
            if (vm.group is None or vm.group not in att.groups[i]) and att.fits(i, vm):
                chosen = i
                break
        if chosen is None:
            return f"{vm.name} fits none of the {n - first} packed hosts"
        for d, sz in enumerate(size(vm)):
            att.load[chosen][d] += sz
        if vm.group is not None:
            att.groups[chosen].add(vm.group)
        att.vms_on[chosen].append(vm)
    return None


def _attempt(hosts: list[HostSpec], ratio: float) -> _Attempt:
    return _Attempt(
        hosts=hosts,
        caps=[capacity(h, ratio) for h in hosts],
        load=[[0, 0, 0] for _ in hosts],
        groups=[set() for _ in hosts],
        vms_on=[[] for _ in hosts],
    )


def _place_part(
    part: Part, ratio: float
) -> tuple[_Attempt, dict[str, dict[str, str]], list[list[int]]] | str:
    """Strategies per ``k``: tight or balanced packing beside one empty failover host (the
    biggest, so it holds any one host's VMs), then balanced over all ``k``; the first with
    a complete failover certificate wins."""
    bound = part_bound(part, ratio)
    assert bound is not None  # _part_problems reported otherwise  # noqa: S101
    pool = ordered_hosts(part.hosts)
    ref = capacity(pool[0], ratio)
    vms = _vm_order(part.vms, ref)
    k = bound
    failure = ""
    while k <= len(pool):
        for strategy in ("tight+spare", "balanced+spare", "balanced"):
            att = _attempt(pool[:k], ratio)
            if strategy == "tight+spare":
                failed = _tight(att, vms, 1)
            else:
                failed = _primary(att, vms, 1 if strategy == "balanced+spare" else 0)
            if failed is None:
                plan, peak, failed = _failover(att, ref)
                if failed is None:
                    return att, plan, peak
            failure = failed
        if k == len(pool):
            break
        k = min(len(pool), k + max(1, k // 100))
    return f"{part.label}: no placement with N+1 headroom on all {len(pool)} hosts: {failure}"


def place(estate: Estate, vcpu_overcommit: float) -> Placement:
    """Place every VM; raise ``PlacementError`` saying what does not fit when impossible."""
    if vcpu_overcommit < 1.0:
        raise PlacementError((f"vCPU overcommit must be at least 1.0, not {vcpu_overcommit}",))
    problems = list(infeasibility(estate, vcpu_overcommit))
    if problems:
        raise PlacementError(tuple(problems))
    split, _ = parts(estate)
    assignment: dict[str, str] = {}
    failover: dict[str, dict[str, str]] = {}
    used: list[str] = []
    loads: list[HostLoad] = []
    bound = 0
    for part in split:
        if not part.vms:
            continue
        bound += part_bound(part, vcpu_overcommit) or 0
        found = _place_part(part, vcpu_overcommit)
        if isinstance(found, str):
            problems.append(found)
            continue
        att, plan, peak = found
        for i, h in enumerate(att.hosts):
            used.append(h.name)
            for vm in att.vms_on[i]:
                assignment[vm.name] = h.name
            loads.append(
                HostLoad(
                    host=h.name,
                    vms=len(att.vms_on[i]),
                    used=(att.load[i][0], att.load[i][1], att.load[i][2]),
                    capacity=att.caps[i],
                    peak_after_failure=(peak[i][0], peak[i][1], peak[i][2]),
                )
            )
        failover.update(plan)
    if problems:
        raise PlacementError(tuple(problems))
    return Placement(
        vcpu_overcommit=vcpu_overcommit,
        assignment={v.name: assignment[v.name] for v in estate.vms},
        failover=failover,
        hosts_used=tuple(used),
        lower_bound=bound,
        loads=tuple(loads),
        pool=len(estate.hosts),
    )
