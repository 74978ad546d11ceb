"""ComponentResources at the level of intent: what the prefecture asks for, per backend.

Each component's props state its intent (zone, kind, sizes, groups) so that a reviewer
and the policies read it next to the provider resources it creates. Props are also the
component's registered outputs, which is what CrossGuard sees of a component.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from ictinfra.cloud.record import READS_ATTR
from ictinfra.inventory.model import Component, Segment, System, Zone

PREFIX = "ictinfra:cloud"

# Systems that form the isolation layer's hosts and the mail gateway layer.
ISOLATION_COMPONENTS = frozenset(
    {
        Component.WEB_PROXY,
        Component.VIRTUAL_BROWSER,
        Component.FILE_TRANSFER,
        Component.ISOLATION_GATEWAY,
    }
)
MAIL_COMPONENTS = frozenset({Component.MAIL_GATEWAY, Component.MAIL_STORE})


class Intent(pulumi.ComponentResource):
    """A component whose props are its intent, registered as its outputs too."""

    kind = "Intent"

    def __init__(
        self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Nothing reads a component's outputs back (the props are at hand): the offline
        # recorder then makes no output placeholder per prop (see ``record._fast_sdk``).
        self.__dict__[READS_ATTR] = frozenset()
        super().__init__(f"{PREFIX}:{self.kind}", name, dict(props), opts)
        self.props = dict(props)

    def done(self) -> None:
        self.register_outputs(self.props)


class Platform(Intent):
    """The whole consolidated platform of one stack (root of everything it creates)."""

    kind = "Platform"


class HostPool(Intent):
    """The hypervisor hosts of the stack, their capacity and which ones the placement uses."""

    kind = "HostPool"


class ZoneNetwork(Intent):
    """One security zone's segments on the platform."""

    kind = "Zone"

    def __init__(self, zone: Zone, opts: pulumi.ResourceOptions) -> None:
        super().__init__(
            zone.id, {"zone": zone.id, "kind": zone.kind.value, "nameJa": zone.name_ja}, opts
        )


class SegmentNetwork(Intent):
    """One segment: its VLAN and whether it routes to an internet zone."""

    kind = "Segment"

    def __init__(
        self,
        segment: Segment,
        zone: Zone,
        *,
        routes_to_internet: bool,
        opts: pulumi.ResourceOptions,
    ) -> None:
        super().__init__(
            segment.id,
            {
                "segment": segment.id,
                "zone": zone.id,
                "zoneKind": zone.kind.value,
                "site": segment.site,
                "vlan": segment.vlan,
                "subnet": str(segment.subnet),
                "routesToInternet": routes_to_internet,
            },
            opts,
        )


class SystemVms(Intent):
    """A system's VMs: sizes, disks, zone, segment, backup class, anti-affinity group."""

    kind = "System"

    def __init__(self, system: System, zone_kinds: list[str], opts: pulumi.ResourceOptions) -> None:
        super().__init__(
            system.id,
            {
                "system": system.id,
                "name": system.name,
                "nameEn": system.name_en,
                "zones": list(system.zones),
                "zoneKinds": zone_kinds,
                "batch": system.consolidation.batch.value,
                "criticality": system.criticality.value,
                "component": None if system.component is None else system.component.value,
                "servers": [
                    {
                        "name": s.name,
                        "vcpu": s.vcpu,
                        "memoryGb": s.memory_gb,
                        "disksGb": [d.size_gb for d in s.disks],
                        "segment": s.segment,
                        "backupClass": s.backup_class,
                        "antiAffinity": s.anti_affinity,
                    }
                    for s in system.servers
                ],
            },
            opts,
        )


class IsolationLayer(Intent):
    """The internet isolation layer's hosts: proxy, virtual browsers, file transfer."""

    kind = "IsolationLayer"


class MailGatewayLayer(Intent):
    """The mail gateway layer: sanitising gateways and the mail store."""

    kind = "MailGatewayLayer"
