"""Backends by hypervisor platform: an explicit map, one module per backend."""

from __future__ import annotations

from ictinfra.cloud.backends.base import Backend
from ictinfra.cloud.backends.proxmox import ProxmoxBackend
from ictinfra.cloud.backends.vsphere import VsphereBackend
from ictinfra.inventory.model import HypervisorPlatform

BACKENDS: dict[HypervisorPlatform, type[Backend]] = {
    HypervisorPlatform.VSPHERE: VsphereBackend,
    HypervisorPlatform.PROXMOX: ProxmoxBackend,
}

__all__ = ["BACKENDS", "Backend"]
