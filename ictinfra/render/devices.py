"""Device configurations from the inventory: a pure context function, then the template."""

from __future__ import annotations

import weakref
from typing import Any

from ictinfra.inventory.model import Device, DeviceRole, Inventory, Segment
from ictinfra.platforms import driver
from ictinfra.render.environment import environment

SWITCH_ROLES = frozenset({DeviceRole.CORE, DeviceRole.DISTRIBUTION, DeviceRole.ACCESS})

# Segments of each site by VLAN, per inventory. Scanning every segment for every device made
# rendering quadratic (3,400 devices x 3,600 segments at 100x); the inventory is frozen, so
# the index is built once and dropped with it (keyed by identity: hashing a model hashes all
# of it).
_SITE_VLANS: dict[int, tuple[weakref.ref[Inventory], dict[str, dict[int, Segment]]]] = {}


def site_vlans(inv: Inventory) -> dict[str, dict[int, Segment]]:
    """Site id -> VLAN -> segment (the last segment listed wins, as a dict built in order)."""
    key = id(inv)
    hit = _SITE_VLANS.get(key)
    if hit is not None and hit[0]() is inv:
        return hit[1]
    index: dict[str, dict[int, Segment]] = {}
    for seg in inv.segments:
        index.setdefault(seg.site, {})[seg.vlan] = seg

    def forget(ref: weakref.ref[Inventory]) -> None:
        if _SITE_VLANS.get(key, (None,))[0] is ref:
            del _SITE_VLANS[key]

    _SITE_VLANS[key] = (weakref.ref(inv, forget), index)
    return index


def device_context(inv: Inventory, dev: Device) -> dict[str, Any]:
    """Everything a platform template needs, as plain data; the model is not mutated."""
    org = inv.organisation
    site = inv.sites_by_id[dev.site]
    segments = inv.segments_by_id
    vlan_ids: set[int] = set()
    interfaces = []
    for iface in dev.interfaces:
        seg = segments[iface.segment] if iface.segment else None
        if (
            seg is not None
            and iface.mode in {"access", "routed"}
            and iface.name.lower().startswith("vlan")
        ):
            vlan_ids.add(seg.vlan)
        if seg is not None and iface.mode == "access":
            vlan_ids.add(seg.vlan)
        vlan_ids.update(iface.vlans)
        interfaces.append(
            {
                "name": iface.name,
                "description": iface.description or (f"{seg.id} ({seg.zone})" if seg else ""),
                "mode": iface.mode,
                "address": iface.address,
                "access_vlan": seg.vlan if seg is not None and iface.mode == "access" else None,
                "vlans": list(iface.vlans),
            }
        )
    at_site = site_vlans(inv).get(dev.site, {})
    vlans = [
        {"id": v, "name": at_site[v].id if v in at_site else f"vlan{v}"} for v in sorted(vlan_ids)
    ]
    return {
        "hostname": dev.hostname,
        "model": dev.model,
        "platform": str(dev.platform),
        "role": str(dev.role),
        "site": {"id": site.id, "name": site.name, "name_ja": site.name_ja},
        "domain": org.domain,
        "banner": org.login_banner,
        "ntp_servers": [str(a) for a in org.ntp_servers],
        "syslog_servers": [str(a) for a in org.syslog_servers],
        "dns_servers": [str(a) for a in org.dns_servers],
        "snmp_location": f"{org.snmp_location_prefix} {site.name}",
        "snmp_contact": f"noc@{org.domain}",  # device configs stay ASCII
        "is_switch": dev.role in SWITCH_ROLES,
        "vlans": vlans,
        "interfaces": interfaces,
        "static_routes": [
            {
                "prefix": r.prefix,
                "next_hop": str(r.next_hop),
                "distance": r.distance,
                "description": r.description,
            }
            for r in dev.static_routes
        ],
        "ospf": dev.ospf.model_dump() if dev.ospf else None,
    }


def render_device(inv: Inventory, dev: Device) -> str:
    """The intended configuration of one device on its own platform."""
    family = driver(dev.platform).family
    template = environment().get_template(f"{family}/config.j2")
    return template.render(device_context(inv, dev))


def render_devices(inv: Inventory) -> dict[str, str]:
    """Relative output path -> configuration, for every device of the inventory."""
    return {f"configs/{dev.hostname}.cfg": render_device(inv, dev) for dev in inv.devices}
