"""What a hypervisor backend provides to the intent components.

A backend turns intent (a segment, a VM on a host, an anti-affinity group) into its
provider's resources. Everything backend-specific lives in its module; the components
never test which backend they have.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from ictinfra.cloud.config import StackConfig
from ictinfra.cloud.estate import HostSpec
from ictinfra.inventory.model import Segment, Server, System, Zone


@dataclass(frozen=True)
class VmIntent:
    """Everything a backend needs to create one VM."""

    system: System
    server: Server
    zone: Zone
    host: str
    network: pulumi.Resource  # the segment's network resource
    network_ref: pulumi.Output[str]  # how the VM's NIC names it


class Backend(ABC):
    """One instance per stack run; it owns the provider resource."""

    vm_type: str  # Pulumi type token of the backend's VM resource

    def __init__(self, cfg: StackConfig, parent: pulumi.Resource) -> None:
        self.cfg = cfg
        self.parent = parent

    def child(self, parent: pulumi.Resource, **kwargs: object) -> pulumi.ResourceOptions:
        """Options for a provider resource: explicit provider, parent, extra options."""
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, **kwargs)  # type: ignore[arg-type]

    @property
    @abstractmethod
    def provider(self) -> pulumi.ProviderResource: ...

    @abstractmethod
    def host_refs(self, hosts: Sequence[HostSpec]) -> dict[str, pulumi.Output[str]]:
        """Host name -> the reference a VM uses to name its host."""

    @abstractmethod
    def zone_network(self, zone: Zone, hosts: Sequence[str], parent: pulumi.Resource) -> None:
        """Per-zone network objects (Proxmox SDN zone; nothing for vSphere)."""

    @abstractmethod
    def segment_network(
        self, segment: Segment, zone: Zone, parent: pulumi.Resource
    ) -> tuple[pulumi.Resource, pulumi.Output[str]]:
        """The segment's network resource and the reference a NIC uses."""

    @abstractmethod
    def vm(
        self, intent: VmIntent, host_ref: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource: ...

    @abstractmethod
    def anti_affinity(
        self, group: str, vms: Sequence[pulumi.Resource], parent: pulumi.Resource
    ) -> None: ...

    @abstractmethod
    def finish(
        self, networks: Sequence[pulumi.Resource], vms: Sequence[tuple[Server, pulumi.Resource]]
    ) -> None:
        """Stack-wide resources created after everything else (SDN apply, backup jobs)."""


def tag_value(text: str) -> str:
    """A value that is a valid tag on both backends: lowercase, [a-z0-9_-]."""
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.lower())
    return out.strip("-") or "x"
