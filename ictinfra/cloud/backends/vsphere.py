"""VMware vSphere backend (the estate the seed describes; primary).

Hosts, the cluster, the distributed switch and datastores already exist and are read
with data sources; the stack creates port groups, tags, custom attributes, VMs and DRS
anti-affinity rules. vSphere tags carry the few-valued intent the backup product and the
policies select VMs by (zone, backup class); custom attributes carry the per-VM values
(system, anti-affinity group), as vSphere meant them for: two attribute definitions for
the whole estate instead of a tag object per system and per group (a third of the
stack's resources at 10x). The DRS rule is what keeps a group apart.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pulumi
import pulumi_vsphere as vsphere

from ictinfra.cloud.backends.base import Backend, VmIntent, lean, tag_value
from ictinfra.cloud.config import StackConfig, VsphereSettings
from ictinfra.cloud.estate import HostSpec
from ictinfra.cloud.guests import guest_for
from ictinfra.inventory.model import Segment, Server, Zone

VM_TYPE = "vsphere:index/virtualMachine:VirtualMachine"
PORT_GROUP_TYPE = "vsphere:index/distributedPortGroup:DistributedPortGroup"
TAG_TYPE = "vsphere:index/tag:Tag"
TAG_CATEGORY_TYPE = "vsphere:index/tagCategory:TagCategory"
ATTRIBUTE_TYPE = "vsphere:index/customAttribute:CustomAttribute"
RULE_TYPE = "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule"

# Tag categories (name -> what it says); each object carries at most one tag of each.
CATEGORIES = {
    "ictinfra-zone": "Security zone (三層分離) of the VM or port group",
    "ictinfra-backup": "Backup class the backup product selects VMs by",
}
# VM custom attributes (name, in this order): the inventory system the VM belongs to and
# its anti-affinity group (empty when it has none).
ATTRIBUTES = ("ictinfra-system", "ictinfra-aa")
TIERS_THIN = {"hdd", "archive"}  # thin-provision capacity tiers; ssd stays thick


class VsphereBackend(Backend):
    vm_type = VM_TYPE

    def __init__(self, cfg: StackConfig, parent: pulumi.Resource) -> None:
        super().__init__(cfg, parent)
        settings = cfg.settings.vsphere
        assert settings is not None  # settings_from_mapping checked it  # noqa: S101
        self.s: VsphereSettings = settings
        self._provider = vsphere.Provider(
            "vsphere",
            user=settings.user,
            password=cfg.password,
            vsphere_server=settings.server,
            allow_unverified_ssl=False,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        invoke = pulumi.InvokeOutputOptions(provider=self._provider, parent=parent)
        self.dc = vsphere.get_datacenter_output(name=settings.datacenter, opts=invoke)
        self.cluster = vsphere.get_compute_cluster_output(
            name=settings.compute_cluster, datacenter_id=self.dc.id, opts=invoke
        )
        self.dvs = vsphere.get_distributed_virtual_switch_output(
            name=settings.switch, datacenter_id=self.dc.id, opts=invoke
        )
        # Each attribute read of an Output is a new apply: read once, not once per VM/rule.
        self.dc_id = self.dc.id
        self.cluster_id = self.cluster.id
        self.pool_id = self.cluster.resource_pool_id
        self._invoke = invoke
        self._categories: dict[str, vsphere.TagCategory] = {}
        self._tags: dict[tuple[str, str], vsphere.Tag] = {}
        self._datastores: dict[str, pulumi.Output[str]] = {}
        self._attribute_ids: pulumi.Output[list[str]] | None = None

    @property
    def provider(self) -> pulumi.ProviderResource:
        return self._provider

    def _tag(self, category: str, value: str) -> vsphere.Tag:
        if (category, value) in self._tags:  # the common case: looked up by raw value
            return self._tags[category, value]
        key = (category, tag_value(value))
        if key not in self._tags:
            if category not in self._categories:
                self._categories[category] = vsphere.TagCategory(
                    category,
                    name=category,
                    description=CATEGORIES[category],
                    cardinality="SINGLE",
                    associable_types=["VirtualMachine", "DistributedVirtualPortgroup"],
                    opts=self.child(self.parent),
                )
            cat = self._categories[category]
            self._tags[key] = lean(
                vsphere.Tag,
                TAG_TYPE,
                f"{category}-{key[1]}",
                vsphere.TagArgs(
                    name=key[1],
                    category_id=cat.id,
                    description=f"{CATEGORIES[category]}: {value}",
                ),
                self.child(self.parent),
            )
        self._tags[category, value] = self._tags[key]
        return self._tags[key]

    def _attributes(self, values: tuple[str, ...]) -> pulumi.Output[dict[str, str]]:
        """A VM's ``custom_attributes``: attribute id -> value, for ``ATTRIBUTES``."""
        if self._attribute_ids is None:
            ids = [
                lean(
                    vsphere.CustomAttribute,
                    ATTRIBUTE_TYPE,
                    name,
                    vsphere.CustomAttributeArgs(name=name, managed_object_type="VirtualMachine"),
                    self.child(self.parent),
                ).id
                for name in ATTRIBUTES
            ]
            self._attribute_ids = pulumi.Output.all(*ids)
        return self._attribute_ids.apply(functools.partial(_by_id, values))

    def host_refs(self, hosts: Sequence[HostSpec]) -> dict[str, pulumi.Output[str]]:
        return {
            h.name: vsphere.get_host_output(
                name=h.name, datacenter_id=self.dc_id, opts=self._invoke
            ).id
            for h in hosts
        }

    def _datastore(self, host: str) -> pulumi.Output[str]:
        if host not in self._datastores:  # one read per host, not per VM
            self._datastores[host] = vsphere.get_datastore_output(
                name=self.s.datastore.format(host=host), datacenter_id=self.dc_id, opts=self._invoke
            ).id
        return self._datastores[host]

    def zone_network(self, zone: Zone, hosts: Sequence[str], parent: pulumi.Resource) -> None:
        del zone, hosts, parent  # port groups live on the one distributed switch

    def segment_network(
        self, segment: Segment, zone: Zone, parent: pulumi.Resource
    ) -> tuple[pulumi.Resource, pulumi.Output[str]]:
        pg = vsphere.DistributedPortGroup(
            segment.id,
            name=segment.id,
            distributed_virtual_switch_uuid=self.dvs.id,
            vlan_id=segment.vlan,
            description=f"{zone.name_ja} {segment.subnet} {segment.purpose}".strip(),
            opts=self.child(parent),
        )
        return pg, pg.id

    def vm(
        self, intent: VmIntent, host_ref: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource:
        srv = intent.server
        tags = [
            self._tag("ictinfra-zone", intent.zone.id).id,
            self._tag("ictinfra-backup", srv.backup_class).id,
        ]
        attributes = self._attributes((intent.system.id, srv.anti_affinity or ""))
        return lean(
            vsphere.VirtualMachine,
            VM_TYPE,
            srv.name,
            vsphere.VirtualMachineArgs(
                name=srv.name,
                annotation=f"{intent.system.id} {intent.system.name} ({srv.role}) {srv.address}",
                resource_pool_id=self.pool_id,
                host_system_id=host_ref,
                datastore_id=self._datastore(intent.host),
                folder=f"{self.s.folder}/{intent.zone.id}",
                num_cpus=srv.vcpu,
                memory=srv.memory_gb * 1024,
                guest_id=guest_for(srv.os).vsphere,
                disks=[
                    vsphere.VirtualMachineDiskArgs(
                        label=f"disk{i}",
                        unit_number=i,
                        size=d.size_gb,
                        thin_provisioned=d.tier in TIERS_THIN,
                    )
                    for i, d in enumerate(srv.disks)
                ],
                network_interfaces=[
                    vsphere.VirtualMachineNetworkInterfaceArgs(network_id=intent.network_ref)
                ],
                tags=tags,
                custom_attributes=attributes,
                wait_for_guest_net_timeout=0,  # a new VM has no guest OS to wait for yet
            ),
            self.child(parent),
        )

    def anti_affinity(
        self, group: str, vms: Sequence[pulumi.Resource], parent: pulumi.Resource
    ) -> None:
        lean(
            vsphere.ComputeClusterVmAntiAffinityRule,
            RULE_TYPE,
            f"aa-{tag_value(group)}",
            vsphere.ComputeClusterVmAntiAffinityRuleArgs(
                name=f"ictinfra-aa-{tag_value(group)}",
                compute_cluster_id=self.cluster_id,
                virtual_machine_ids=[vm.id for vm in vms],  # type: ignore[attr-defined]
                mandatory=True,
            ),
            self.child(parent),
        )

    def finish(
        self, networks: Sequence[pulumi.Resource], vms: Sequence[tuple[Server, pulumi.Resource]]
    ) -> None:
        del networks, vms  # backups select VMs by their ictinfra-backup tag


def _by_id(values: tuple[str, ...], ids: list[str]) -> dict[str, str]:
    return dict(zip(ids, values, strict=True))
