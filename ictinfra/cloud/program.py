"""``build(cfg)``: the one Pulumi program every stack runs.

Nothing is created at import time; a stack's ``__main__.py`` reads its configuration and
calls ``build``, and the offline plan calls it the same way under Pulumi's mocks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pulumi

from ictinfra.cloud.backends import BACKENDS
from ictinfra.cloud.backends.base import Backend, VmIntent
from ictinfra.cloud.components import (
    ISOLATION_COMPONENTS,
    MAIL_COMPONENTS,
    HostPool,
    IsolationLayer,
    MailGatewayLayer,
    Platform,
    SegmentNetwork,
    SystemVms,
    ZoneNetwork,
)
from ictinfra.cloud.config import StackConfig
from ictinfra.cloud.errors import CloudError
from ictinfra.cloud.estate import (
    Estate,
    cloud_systems,
    estate_from_inventory,
    routes_to_internet,
)
from ictinfra.cloud.placement import Placement, place
from ictinfra.inventory import Inventory, load_inventory
from ictinfra.inventory.model import Component, Server, System


@dataclass
class Built:
    """Handles on what ``build`` created (for tests and for programs that add to it)."""

    platform: Platform
    placement: Placement
    networks: dict[str, tuple[pulumi.Resource, pulumi.Output[str]]] = field(default_factory=dict)
    vms: dict[str, pulumi.Resource] = field(default_factory=dict)
    systems: dict[str, SystemVms] = field(default_factory=dict)


def build(
    cfg: StackConfig, inventory: Inventory | None = None, placement: Placement | None = None
) -> Built:
    """Declare the stack's resources from the inventory.

    ``placement`` overrides the computed placement (to pin an existing layout, or to show
    the policies catching a bad one); by default VMs go where ``place`` puts them.
    """
    s = cfg.settings
    inv = inventory if inventory is not None else load_inventory(s.inventory_path(cfg.stack_dir))
    estate = estate_from_inventory(inv, s.clusters, s.batches, s.host_platform())
    plc = placement if placement is not None else place(estate, s.vcpu_overcommit)
    # Only the servers this stack's hosts may run; the others belong to another stack.
    mine = {v.name for v in estate.vms}
    systems = tuple(
        sys_.model_copy(update={"servers": tuple(v for v in sys_.servers if v.name in mine)})
        for sys_ in cloud_systems(inv, s.batches)
        if any(v.name in mine for v in sys_.servers)
    )

    platform = Platform(
        s.environment,
        {
            "backend": s.backend.value,
            "environment": s.environment,
            "organisation": inv.organisation.name_ja,
            "systems": len(systems),
            "vms": len(estate.vms),
        },
    )
    out = Built(platform=platform, placement=plc)
    backend = BACKENDS[s.backend](cfg, platform)
    under = pulumi.ResourceOptions

    refs = backend.host_refs(estate.hosts)
    _host_pool(platform, estate, plc, refs, s.vcpu_overcommit)
    _networks(inv, estate, plc, backend, out)

    layers: dict[str, IsolationLayer | MailGatewayLayer] = {}

    def layer_of(component: Component | None) -> pulumi.Resource:
        if component in ISOLATION_COMPONENTS:
            if "isolation" not in layers:
                layers["isolation"] = IsolationLayer(
                    "isolation", _layer_props(systems, ISOLATION_COMPONENTS), under(parent=platform)
                )
            return layers["isolation"]
        if component in MAIL_COMPONENTS:
            if "mail" not in layers:
                layers["mail"] = MailGatewayLayer(
                    "mail", _layer_props(systems, MAIL_COMPONENTS), under(parent=platform)
                )
            return layers["mail"]
        return platform

    kinds = {z.id: z.kind.value for z in inv.zones}
    placed: list[tuple[Server, pulumi.Resource]] = []
    for system in systems:
        comp = SystemVms(
            system, [kinds[z] for z in system.zones], under(parent=layer_of(system.component))
        )
        out.systems[system.id] = comp
        for srv in system.servers:
            host = plc.assignment.get(srv.name)
            if host is None or host not in refs:
                raise CloudError(f"VM {srv.name} has no host of the pool in the placement")
            network, ref = out.networks[srv.segment]
            intent = VmIntent(system, srv, inv.zone_of_segment(srv.segment), host, network, ref)
            vm = backend.vm(intent, refs[host], comp)
            out.vms[srv.name] = vm
            placed.append((srv, vm))

    _anti_affinity(systems, backend, out)
    backend.finish([n for n, _ in out.networks.values()], placed)
    for comp in out.systems.values():
        comp.done()
    for layer in layers.values():
        layer.done()
    platform.done()
    return out


def _layer_props(
    systems: tuple[System, ...], components: frozenset[Component]
) -> dict[str, object]:
    members = [s for s in systems if s.component in components]
    return {
        "systems": [s.id for s in members],
        "components": sorted({str(s.component) for s in members}),
    }


def _host_pool(
    platform: Platform,
    estate: Estate,
    plc: Placement,
    refs: dict[str, pulumi.Output[str]],
    ratio: float,
) -> None:
    used = set(plc.hosts_used)
    pool = HostPool(
        "hosts",
        {
            "vcpuOvercommit": ratio,
            "lowerBound": plc.lower_bound,
            "hosts": [
                {
                    "name": h.name,
                    "cluster": h.cluster,
                    "cores": h.cores,
                    "memoryGb": h.memory_gb,
                    "storageGb": h.storage_gb,
                    "ref": refs[h.name],
                    "used": h.name in used,
                }
                for h in estate.hosts
            ],
        },
        pulumi.ResourceOptions(parent=platform),
    )
    pool.done()


def _networks(inv: Inventory, estate: Estate, plc: Placement, backend: Backend, out: Built) -> None:
    """A Zone component per zone the VMs use, a Segment component per segment they use."""
    wanted = {v.segment for v in estate.vms}
    for zone in inv.zones:
        segments = [g for g in inv.segments if g.zone == zone.id and g.id in wanted]
        if not segments:
            continue
        zn = ZoneNetwork(zone, pulumi.ResourceOptions(parent=out.platform))
        backend.zone_network(zone, sorted(plc.hosts_used), zn)
        for seg in segments:
            sn = SegmentNetwork(
                seg,
                zone,
                routes_to_internet=routes_to_internet(inv, seg.id),
                opts=pulumi.ResourceOptions(parent=zn),
            )
            out.networks[seg.id] = backend.segment_network(seg, zone, sn)
            sn.done()
        zn.done()


def _anti_affinity(systems: tuple[System, ...], backend: Backend, out: Built) -> None:
    """One hypervisor rule per group, under its system (or the platform if it spans systems)."""
    members: dict[str, list[tuple[str, pulumi.Resource]]] = defaultdict(list)
    for system in systems:
        for srv in system.servers:
            if srv.anti_affinity is not None:
                members[srv.anti_affinity].append((system.id, out.vms[srv.name]))
    for group, vms in sorted(members.items()):
        owners = {sid for sid, _ in vms}
        parent: pulumi.Resource = (
            out.systems[next(iter(owners))] if len(owners) == 1 else out.platform
        )
        backend.anti_affinity(group, [vm for _, vm in vms], parent)
