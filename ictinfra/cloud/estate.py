"""What a stack has to place: its VMs and its hosts, derived from the inventory.

Everything here is computed from ``Inventory``: sizes, disks, zones, groups and host
capacities are never written by hand. ``synthetic`` multiplies an estate for scale tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ictinfra.inventory.model import (
    Batch,
    Hypervisor,
    HypervisorPlatform,
    Inventory,
    SanctionedPath,
    Server,
    System,
    ZoneKind,
)

# Systems on the consolidated platform; "none" stays outside it.
CLOUD_BATCHES: tuple[Batch, ...] = (Batch.EXISTING, Batch.NEXT, Batch.PLATFORM)

# Paths that carry packets between zones. Sanitised paths (screen transfer, file and mail
# sanitisers) hand over content, not routes, so they do not make a segment routable.
ROUTED_PATHS = frozenset({SanctionedPath.DIRECT, SanctionedPath.WEB_PROXY})


@dataclass(frozen=True)
class VmSpec:
    """One VM to place: an inventory server with the facts placement needs."""

    name: str
    system: str
    vcpu: int
    memory_gb: int
    storage_gb: int
    group: str | None  # anti-affinity group: members never share a host
    zone: str
    segment: str


@dataclass(frozen=True)
class HostSpec:
    name: str
    cluster: str
    cores: int
    memory_gb: int
    storage_gb: int
    zones: tuple[str, ...] = ()  # zones whose VMs it may run; empty: any zone

    def may_run(self, vm: VmSpec) -> bool:
        return not self.zones or vm.zone in self.zones


@dataclass(frozen=True)
class Estate:
    vms: tuple[VmSpec, ...]
    hosts: tuple[HostSpec, ...]

    def demand(self) -> tuple[int, int, int]:
        """Total vCPU, memory (GB) and storage (GB) of the VMs."""
        return (
            sum(v.vcpu for v in self.vms),
            sum(v.memory_gb for v in self.vms),
            sum(v.storage_gb for v in self.vms),
        )


def cloud_systems(inv: Inventory, batches: Iterable[Batch] = CLOUD_BATCHES) -> tuple[System, ...]:
    wanted = set(batches)
    return tuple(s for s in inv.systems if s.consolidation.batch in wanted and s.servers)


def vm_spec(inv: Inventory, system: System, server: Server) -> VmSpec:
    return VmSpec(
        name=server.name,
        system=system.id,
        vcpu=server.vcpu,
        memory_gb=server.memory_gb,
        storage_gb=sum(d.size_gb for d in server.disks),
        group=server.anti_affinity,
        zone=inv.segments_by_id[server.segment].zone,
        segment=server.segment,
    )


def host_spec(h: Hypervisor) -> HostSpec:
    return HostSpec(h.name, h.cluster, h.cores, h.memory_gb, h.storage_gb, tuple(h.zones))


def select_hosts(
    inv: Inventory, clusters: Iterable[str] | None, platform: HypervisorPlatform | None = None
) -> tuple[Hypervisor, ...]:
    """The hosts a stack places on, in inventory order.

    The named clusters when given, else every host of ``platform`` (every host at all
    when ``platform`` is None: an alternative weighed on the same hardware).
    """
    hosts = inv.hypervisors
    if platform is not None:
        hosts = tuple(h for h in hosts if h.platform is platform)
    if clusters is not None:
        wanted = set(clusters)
        hosts = tuple(h for h in hosts if h.cluster in wanted)
    return hosts


def estate_from_inventory(
    inv: Inventory,
    clusters: Iterable[str] | None = None,
    batches: Iterable[Batch] = CLOUD_BATCHES,
    platform: HypervisorPlatform | None = None,
) -> Estate:
    """The VMs some selected host may run (their zone), and the selected hosts.

    VMs of zones no selected host serves belong to another stack; the plan step checks
    that every VM of the platform lands in exactly one production stack.
    """
    hosts = tuple(host_spec(h) for h in select_hosts(inv, clusters, platform))
    specs = (vm_spec(inv, s, v) for s in cloud_systems(inv, batches) for v in s.servers)
    vms = tuple(vm for vm in specs if any(h.may_run(vm) for h in hosts))
    return Estate(vms=vms, hosts=hosts)


def synthetic(base: Estate, factor: int) -> Estate:
    """``factor`` copies of every VM and every host; groups stay within their copy."""
    if factor < 1:
        raise ValueError(f"factor must be at least 1, not {factor}")
    if factor == 1:
        return base
    vms = tuple(
        VmSpec(
            name=f"{v.name}-x{k}",
            system=f"{v.system}-x{k}",
            vcpu=v.vcpu,
            memory_gb=v.memory_gb,
            storage_gb=v.storage_gb,
            group=None if v.group is None else f"{v.group}-x{k}",
            zone=v.zone,
            segment=v.segment,
        )
        for k in range(factor)
        for v in base.vms
    )
    hosts = tuple(
        HostSpec(f"{h.name}-x{k}", f"{h.cluster}-x{k}", h.cores, h.memory_gb, h.storage_gb, h.zones)
        for k in range(factor)
        for h in base.hosts
    )
    return Estate(vms=vms, hosts=hosts)


def routes_to_internet(inv: Inventory, segment_id: str) -> bool:
    """Whether packets from this segment can reach an internet-kind zone.

    A segment in an internet zone does; so does one whose zone has a routed flow (direct
    or through the web proxy) to an internet zone. Sanitised paths do not count.
    """
    zone = inv.zone_of_segment(segment_id)
    if zone.kind is ZoneKind.INTERNET:
        return True
    kinds = {z.id: z.kind for z in inv.zones}
    return any(
        f.source_zone == zone.id
        and kinds.get(f.destination_zone) is ZoneKind.INTERNET
        and f.via in ROUTED_PATHS
        for f in inv.flows
    )
