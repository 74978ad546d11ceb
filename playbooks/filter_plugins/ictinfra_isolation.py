"""Filters the isolation playbook uses to turn the inventory into the isolation roles' input.

The subnets allowed to reach the screen-transfer hosts come from the inventory's flows as
the isolation policy reads them (``ictinfra.isolation.policy``): the same flows, checked by
the same model, as the gateways' rulesets, so a host filter cannot let in more than the
gateways do. A flow the model refuses opens nothing here either (fail closed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleFilterError


@functools.lru_cache(maxsize=4)
def _inventory(folder: str) -> Any:
    from ictinfra.inventory import InventoryError, load_inventory  # noqa: PLC0415

    try:
        return load_inventory(Path(folder))
    except InventoryError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def screen_transfer_sources(inventory_dir: str, profile: str = "alpha") -> list[str]:
    """Networks the policy lets reach the virtual-browser systems (their flows' sources)."""
    from ictinfra.isolation.policy import (  # noqa: PLC0415
        endpoint_networks,
        permitted_flows,
    )
    from ictinfra.isolation.policy import profile as policy_profile  # noqa: PLC0415

    inv = _inventory(str(inventory_dir))
    browsers = {s.id for s in inv.systems if str(s.component or "") == "virtual_browser"}
    nets = {
        str(net)
        for flow in permitted_flows(inv, policy_profile(profile))
        if flow.destination_system in browsers
        for net in endpoint_networks(inv, flow.source_zone, flow.source_system)
    }
    if not nets:
        raise AnsibleFilterError("no permitted flow reaches a virtual_browser system")
    return sorted(nets)


def group_addresses(hosts: Iterable[str], hostvars: Mapping[str, Any]) -> list[str]:
    """Every address of the given hosts (all lab networks, or the inventory's address)."""
    out: list[str] = []
    for host in hosts:
        if host not in hostvars:
            raise AnsibleFilterError(f"host {host} is not in the inventory")
        hv = hostvars[host]
        lab = hv.get("ictinfra_lab_addresses")
        found = [str(a) for a in lab.values()] if lab else [str(hv.get("ansible_host") or "")]
        if not all(found):
            raise AnsibleFilterError(f"host {host} has no address")
        out.extend(a for a in found if a not in out)
    return out


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "ictinfra_screen_transfer_sources": screen_transfer_sources,
            "ictinfra_group_addresses": group_addresses,
        }
