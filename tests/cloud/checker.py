"""An independent checker of placements: it trusts nothing in ictinfra.cloud.placement.

Written from the constraints as the issue states them, with its own arithmetic: every VM
on exactly one host of the pool; the host may run the VM's zone; per-host vCPU (with the
overcommit), memory and storage; no VM larger than its host's cores; anti-affinity; and
for every host in use, the stated restart plan puts each of its VMs on another host in
use, within capacity and anti-affinity, counting the VMs already there.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping

from ictinfra.cloud.estate import Estate


def check(
    estate: Estate,
    overcommit: float,
    assignment: Mapping[str, str],
    failover: Mapping[str, Mapping[str, str]],
    hosts_used: tuple[str, ...],
) -> list[str]:
    errors: list[str] = []
    hosts = {h.name: h for h in estate.hosts}
    vms = {v.name: v for v in estate.vms}
    used = set(hosts_used)

    def allowed(vm_name: str, host_name: str) -> bool:
        zones = hosts[host_name].zones
        return not zones or vms[vm_name].zone in zones

    def cap(host_name: str) -> tuple[float, float, float]:
        h = hosts[host_name]
        return (math.floor(h.cores * overcommit), h.memory_gb, h.storage_gb)

    if set(assignment) != set(vms):
        errors.append(f"assignment covers {len(assignment)} VMs, the estate has {len(vms)}")
    on: dict[str, list[str]] = defaultdict(list)
    for vm, host in assignment.items():
        if host not in hosts:
            errors.append(f"{vm} on unknown host {host}")
            continue
        if host not in used:
            errors.append(f"{vm} on {host}, which is not counted as used")
        if vm in vms and not allowed(vm, host):
            errors.append(f"{vm} (zone {vms[vm].zone}) on {host}, which may not run that zone")
        on[host].append(vm)

    def overloaded(host: str, names: list[str]) -> list[str]:
        out = []
        total = [0.0, 0.0, 0.0]
        for n in names:
            v = vms[n]
            if v.vcpu > hosts[host].cores:
                out.append(f"{n} has {v.vcpu} vCPU, host {host} {hosts[host].cores} cores")
            total[0] += v.vcpu
            total[1] += v.memory_gb
            total[2] += v.storage_gb
        for d, (t, c) in enumerate(zip(total, cap(host), strict=True)):
            if t > c:
                out.append(f"host {host} dimension {d}: {t} > {c}")
        groups = Counter(vms[n].group for n in names if vms[n].group)
        out.extend(f"group {g} twice on {host}" for g, k in groups.items() if k > 1)
        return out

    for host, names in on.items():
        errors.extend(overloaded(host, names))

    for failed in sorted(used):
        moves = failover.get(failed, {})
        if set(moves) != set(on.get(failed, [])):
            errors.append(f"failover of {failed} does not cover exactly its VMs")
            continue
        # Hosts that receive no VM keep their checked primary load; check the others.
        after: dict[str, list[str]] = {}
        for vm, target in moves.items():
            if target == failed or target not in used:
                errors.append(
                    f"failover of {failed}: {vm} to {target}, not a surviving host in use"
                )
                continue
            if not allowed(vm, target):
                errors.append(f"failover of {failed}: {vm} to {target}, which may not run its zone")
            after.setdefault(target, list(on.get(target, []))).append(vm)
        for host, names in after.items():
            errors.extend(f"after {failed} fails: {e}" for e in overloaded(host, names))
    return errors


def lower_bound(estate: Estate, overcommit: float) -> int:
    """The checker's own bound: per group of hosts with the same zones, capacity with one
    host failed must hold the VMs those hosts alone may run (identical hosts assumed per
    group, as in the example and its synthetic copies)."""
    total = 0
    classes: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, h in enumerate(estate.hosts):
        classes[tuple(sorted(h.zones))].append(i)
    for zones, members in classes.items():
        mine = [v for v in estate.vms if not zones or v.zone in zones]
        if not mine:
            continue
        h = estate.hosts[members[0]]
        caps = (math.floor(h.cores * overcommit), h.memory_gb, h.storage_gb)
        need = max(
            math.ceil(sum(v.vcpu for v in mine) / caps[0]),
            math.ceil(sum(v.memory_gb for v in mine) / caps[1]),
            math.ceil(sum(v.storage_gb for v in mine) / caps[2]),
        )
        groups = Counter(v.group for v in mine if v.group)
        total += max(need + 1, max(groups.values(), default=1) + 1)
    return total
