"""Guest OS of an inventory server -> the hypervisor's guest type (data, per backend)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ictinfra.cloud.errors import CloudError


@dataclass(frozen=True)
class Guest:
    pattern: str  # matched case-insensitively against Server.os
    vsphere: str  # VirtualMachine.guest_id
    proxmox: str  # VmLegacy operating_system.type


# First match wins: keep the specific patterns above the general ones.
GUESTS: tuple[Guest, ...] = (
    Guest(r"windows server 2025", "windows2022srvNext_64Guest", "win11"),
    Guest(r"windows server 2022", "windows2019srvNext_64Guest", "win11"),
    Guest(r"windows server 2019", "windows2019srv_64Guest", "win10"),
    Guest(r"windows server 2016", "windows9Server64Guest", "win10"),
    Guest(r"windows server 2012", "windows8Server64Guest", "win8"),
    Guest(r"windows server 2008", "windows7Server64Guest", "win7"),
    Guest(r"windows (10|11)", "windows9_64Guest", "win10"),
    Guest(
        r"(rhel|red hat enterprise linux|rocky|alma(linux)?|oracle linux) ?9",
        "rhel9_64Guest",
        "l26",
    ),
    Guest(
        r"(rhel|red hat enterprise linux|rocky|alma(linux)?|oracle linux) ?8",
        "rhel8_64Guest",
        "l26",
    ),
    Guest(r"(rhel|red hat enterprise linux|centos) ?7", "rhel7_64Guest", "l26"),
    Guest(r"(rhel|red hat enterprise linux|centos) ?6", "rhel6_64Guest", "l26"),
    Guest(r"ubuntu", "ubuntu64Guest", "l26"),
    Guest(r"debian ?12", "debian12_64Guest", "l26"),
    Guest(r"debian ?11", "debian11_64Guest", "l26"),
    Guest(r"debian", "debian10_64Guest", "l26"),
    Guest(r"(suse|sles)", "sles15_64Guest", "l26"),
    Guest(r"(linux|centos|rhel|rocky|alma)", "otherLinux64Guest", "l26"),
)


@functools.cache
def guest_for(os_name: str) -> Guest:
    """Fails closed: an OS no pattern knows is an error, never a silent 'other'.
    (Cached: an estate has a handful of OS names and thousands of VMs.)"""
    for g in GUESTS:
        if re.search(g.pattern, os_name, re.IGNORECASE):
            return g
    raise CloudError(f"no guest type for OS '{os_name}': add a pattern to ictinfra/cloud/guests.py")
