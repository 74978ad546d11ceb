"""Proxmox VE backend (the alternative many governments now weigh).

Nodes are the inventory's hosts. Segments become SDN VNets in one VLAN zone per security
zone, applied once at the end; VMs are ``VmLegacy`` (the provider's production VM
resource) under HA so that they restart on another node (N+1); anti-affinity groups are
negative resource-affinity HA rules; backup classes become vzdump jobs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_proxmoxve as proxmoxve

from ictinfra.cloud.backends.base import Backend, VmIntent, lean, tag_value
from ictinfra.cloud.config import ProxmoxSettings, StackConfig
from ictinfra.cloud.errors import CloudError
from ictinfra.cloud.estate import HostSpec
from ictinfra.cloud.guests import guest_for
from ictinfra.inventory.model import Segment, Server, Zone

VM_TYPE = "proxmoxve:index/vmLegacy:VmLegacy"
VNET_TYPE = "proxmoxve:sdn/vnet:Vnet"
HA_RULE_TYPE = "proxmoxve:index/harule:Harule"
HA_RESOURCE_TYPE = "proxmoxve:index/haresource:Haresource"

# When each backup class runs (vzdump calendar events); "none" has no job.
BACKUP_SCHEDULES = {"daily": "*-*-* 01:00", "weekly": "sat 02:00"}


def sdn_id(text: str, prefix: str = "") -> str:
    """Proxmox SDN identifiers: at most 8 characters, letters and digits, a letter first."""
    core = "".join(c for c in text.lower() if c.isalnum())
    out = (prefix + core)[:8]
    if not out or not out[0].isalpha():
        out = ("z" + out)[:8]
    return out


class ProxmoxBackend(Backend):
    vm_type = VM_TYPE

    def __init__(self, cfg: StackConfig, parent: pulumi.Resource) -> None:
        super().__init__(cfg, parent)
        settings = cfg.settings.proxmox
        assert settings is not None  # settings_from_mapping checked it  # noqa: S101
        self.s: ProxmoxSettings = settings
        self._provider = proxmoxve.Provider(
            "proxmoxve",
            endpoint=settings.endpoint,
            username=settings.username,
            password=cfg.password,
            insecure=settings.insecure,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self._zones: dict[str, proxmoxve.sdn.zone.Vlan] = {}
        self._zone_ids: dict[str, str] = {}
        self._vnet_ids: dict[str, str] = {}
        self._ha_ids: dict[pulumi.Resource, pulumi.Output[str]] = {}

    @property
    def provider(self) -> pulumi.ProviderResource:
        return self._provider

    def host_refs(self, hosts: Sequence[HostSpec]) -> dict[str, pulumi.Output[str]]:
        return {h.name: pulumi.Output.from_input(h.name) for h in hosts}

    def zone_network(self, zone: Zone, hosts: Sequence[str], parent: pulumi.Resource) -> None:
        ident = sdn_id(zone.id)
        if ident in self._zone_ids:
            raise CloudError(
                f"zones '{self._zone_ids[ident]}' and '{zone.id}' both map to SDN zone '{ident}'"
            )
        self._zone_ids[ident] = zone.id
        self._zones[zone.id] = proxmoxve.sdn.zone.Vlan(
            f"sdn-{zone.id}",
            resource_id=ident,
            bridge=self.s.bridge,
            nodes=list(hosts),
            opts=self.child(parent),
        )

    def segment_network(
        self, segment: Segment, zone: Zone, parent: pulumi.Resource
    ) -> tuple[pulumi.Resource, pulumi.Output[str]]:
        ident = sdn_id(str(segment.vlan), "vn")
        if ident in self._vnet_ids:
            raise CloudError(
                f"segments '{self._vnet_ids[ident]}' and '{segment.id}' share VLAN {segment.vlan}; "
                "one Proxmox cluster cannot carry both"
            )
        self._vnet_ids[ident] = segment.id
        vnet = proxmoxve.sdn.Vnet(
            segment.id,
            resource_id=ident,
            zone=self._zones[zone.id].resource_id,
            tag=segment.vlan,
            alias=segment.id,
            opts=self.child(parent),
        )
        return vnet, vnet.resource_id

    def vm(
        self, intent: VmIntent, host_ref: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource:
        srv = intent.server
        tags = [
            f"zone-{tag_value(intent.zone.id)}",
            f"backup-{srv.backup_class}",
            f"system-{tag_value(intent.system.id)}",
        ]
        if srv.anti_affinity is not None:
            tags.append(f"aa-{tag_value(srv.anti_affinity)}")
        vm = lean(
            proxmoxve.VmLegacy,
            VM_TYPE,
            srv.name,
            proxmoxve.VmLegacyArgs(
                name=srv.name,
                node_name=host_ref,
                description=f"{intent.system.id} {intent.system.name} ({srv.role}) {srv.address}",
                cpu=proxmoxve.VmLegacyCpuArgs(cores=srv.vcpu, sockets=1, type="x86-64-v2-AES"),
                memory=proxmoxve.VmLegacyMemoryArgs(dedicated=srv.memory_gb * 1024),
                disks=[
                    proxmoxve.VmLegacyDiskArgs(
                        interface=f"scsi{i}",
                        datastore_id=self.s.datastore,
                        size=d.size_gb,
                        ssd=d.tier == "ssd",
                        discard="on",
                    )
                    for i, d in enumerate(srv.disks)
                ],
                network_devices=[
                    proxmoxve.VmLegacyNetworkDeviceArgs(bridge=intent.network_ref, model="virtio")
                ],
                operating_system=proxmoxve.VmLegacyOperatingSystemArgs(
                    type=guest_for(srv.os).proxmox
                ),
                tags=sorted(tags),
                on_boot=True,
                started=True,
            ),
            self.child(parent),
            computed=("vm_id",),  # Proxmox assigns the VM id; HA and backups name it
        )
        lean(
            proxmoxve.Haresource,
            HA_RESOURCE_TYPE,
            f"ha-{srv.name}",
            proxmoxve.HaresourceArgs(
                resource_id=self._ha_id(vm),
                state="started",
                comment=f"{intent.system.id} restarts on another node if its node fails",
            ),
            self.child(parent),
        )
        return vm

    def _ha_id(self, vm: pulumi.Resource) -> pulumi.Output[str]:
        """How HA names a VM (``vm:<id>``); one Output per VM, shared by its HA resource
        and its anti-affinity rule."""
        if vm not in self._ha_ids:
            self._ha_ids[vm] = vm.vm_id.apply(lambda i: f"vm:{i}")  # type: ignore[attr-defined]
        return self._ha_ids[vm]

    def anti_affinity(
        self, group: str, vms: Sequence[pulumi.Resource], parent: pulumi.Resource
    ) -> None:
        lean(
            proxmoxve.Harule,
            HA_RULE_TYPE,
            f"aa-{tag_value(group)}",
            proxmoxve.HaruleArgs(
                rule=f"aa-{tag_value(group)}",
                type="resource-affinity",
                affinity="negative",
                resources=[self._ha_id(vm) for vm in vms],
                comment=f"anti-affinity group {group}",
            ),
            self.child(parent),
        )

    def finish(
        self, networks: Sequence[pulumi.Resource], vms: Sequence[tuple[Server, pulumi.Resource]]
    ) -> None:
        # SDN changes are pending until applied, once, after every VNet exists.
        proxmoxve.sdn.Applier("sdn-apply", opts=self.child(self.parent, depends_on=list(networks)))
        for cls, schedule in BACKUP_SCHEDULES.items():
            members = [vm for srv, vm in vms if srv.backup_class == cls]
            if members:
                proxmoxve.backup.Job(
                    f"backup-{cls}",
                    resource_id=f"ictinfra-{cls}",
                    schedule=schedule,
                    storage=self.s.backup_storage,
                    mode="snapshot",
                    vmids=[vm.vm_id.apply(str) for vm in members],  # type: ignore[attr-defined]
                    opts=self.child(self.parent),
                )
