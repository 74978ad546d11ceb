"""The Ansible view of the inventory: hosts grouped by zone, site and role, with variables.

One function builds it; the inventory plugin (``inventory/inventory_plugins``) and the
rendered ``build/ansible/hosts.yml`` both use it, so they cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ictinfra.inventory.model import Inventory, ZoneKind

ANSIBLE_NETWORK_OS = {
    "cisco_ios": "cisco.ios.ios",
    "cisco_xe": "cisco.ios.ios",
    "yamaha": "yamaha_network.rtx.rtx",
    "nec_ix": "nec_ix",
}


def group_name(*parts: str) -> str:
    """Ansible group names are identifiers: lower case, underscores."""
    return re.sub(r"[^a-z0-9_]", "_", "_".join(parts).lower())


@dataclass
class Group:
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnsibleInventory:
    groups: dict[str, Group]
    hostvars: dict[str, dict[str, Any]]

    def to_yaml_data(self) -> dict[str, Any]:
        """The static YAML inventory format (what ``-i hosts.yml`` reads)."""
        # Each host's variables are written once, under its first group.
        home: dict[str, str] = {}
        for name, grp in self.groups.items():
            for h in grp.hosts:
                home.setdefault(h, name)

        def node(name: str) -> dict[str, Any]:
            grp = self.groups[name]
            out: dict[str, Any] = {}
            if grp.vars:
                out["vars"] = grp.vars
            if grp.hosts:
                out["hosts"] = {
                    h: (self.hostvars[h] if name == home[h] else None) for h in grp.hosts
                }
            if grp.children:
                out["children"] = {c: node(c) for c in grp.children}
            return out

        return {"all": node("all")}

    def to_list_data(self) -> dict[str, Any]:
        """The ``ansible-inventory --list`` JSON shape, for comparison in tests."""
        out: dict[str, Any] = {"_meta": {"hostvars": self.hostvars}}
        for name, grp in self.groups.items():
            entry: dict[str, Any] = {}
            if grp.hosts:
                entry["hosts"] = list(grp.hosts)
            if grp.children:
                entry["children"] = list(grp.children)
            if grp.vars:
                entry["vars"] = grp.vars
            out[name] = entry
        return out


def build_ansible_inventory(inv: Inventory) -> AnsibleInventory:
    groups: dict[str, Group] = {}

    def grp(name: str, parent: str) -> Group:
        if name not in groups:
            groups[name] = Group()
            groups.setdefault(parent, Group()).children.append(name)
        return groups[name]

    groups["all"] = Group(vars=_all_vars(inv))
    for top in ("servers", "network_devices", "zones", "sites", "roles"):
        grp(top, "all")
    hostvars: dict[str, dict[str, Any]] = {}

    for system in inv.systems:
        role = str(system.component) if system.component else "business"
        for srv in system.servers:
            seg = inv.segments_by_id[srv.segment]
            hostvars[srv.name] = {
                "ansible_host": str(srv.address),
                "ictinfra_kind": "server",
                "ictinfra_system": system.id,
                "ictinfra_system_name": system.name,
                "ictinfra_component": role,
                "ictinfra_server_role": srv.role,
                "ictinfra_zone": seg.zone,
                "ictinfra_site": seg.site,
                "ictinfra_segment": seg.id,
                "ictinfra_os": srv.os,
                "ictinfra_vcpu": srv.vcpu,
                "ictinfra_memory_gb": srv.memory_gb,
                "ictinfra_backup_class": srv.backup_class,
                "ictinfra_batch": str(system.consolidation.batch),
                "ictinfra_vendor": system.vendor,
            }
            for name, parent in (
                ("servers", "all"),
                (group_name("zone", seg.zone), "zones"),
                (group_name("site", seg.site), "sites"),
                (group_name("role", role), "roles"),
                (group_name("system", system.id), "servers"),
            ):
                grp(name, parent).hosts.append(srv.name)

    for dev in inv.devices:
        hostvars[dev.hostname] = {
            "ansible_host": str(dev.mgmt_address),
            "ansible_network_os": ANSIBLE_NETWORK_OS[str(dev.platform)],
            "ictinfra_kind": "network_device",
            "ictinfra_platform": str(dev.platform),
            "ictinfra_model": dev.model,
            "ictinfra_site": dev.site,
            "ictinfra_device_role": str(dev.role),
            "ictinfra_lifecycle": str(dev.lifecycle),
            "ictinfra_replaces": dev.replaces,
            "ictinfra_wave": dev.wave,
        }
        for name, parent in (
            ("network_devices", "all"),
            (group_name("site", dev.site), "sites"),
            (group_name("role", str(dev.role)), "roles"),
            (group_name("platform", str(dev.platform)), "network_devices"),
            (group_name("lifecycle", str(dev.lifecycle)), "network_devices"),
        ):
            grp(name, parent).hosts.append(dev.hostname)
        if dev.wave is not None:
            grp(group_name("wave", str(dev.wave)), "network_devices").hosts.append(dev.hostname)
    return AnsibleInventory(groups=groups, hostvars=hostvars)


def _all_vars(inv: Inventory) -> dict[str, Any]:
    org = inv.organisation
    mgmt_zones = {z.id for z in inv.zones if z.kind is ZoneKind.MANAGEMENT}
    vendor_hosts: dict[str, list[str]] = {}
    for system in inv.systems:
        if system.vendor is not None:
            vendor_hosts.setdefault(system.vendor, []).extend(s.name for s in system.servers)
    return {
        "ictinfra_organisation": org.name,
        "ictinfra_domain": org.domain,
        "ictinfra_ntp_servers": [str(a) for a in org.ntp_servers],
        "ictinfra_syslog_servers": [str(a) for a in org.syslog_servers],
        "ictinfra_dns_servers": [str(a) for a in org.dns_servers],
        "ictinfra_login_banner": org.login_banner,
        "ictinfra_maintenance_subnets": sorted(
            str(s.subnet) for s in inv.segments if s.zone in mgmt_zones
        ),
        "ictinfra_vendors": [
            {
                "id": v.id,
                "name": v.name,
                "ssh_public_key": str(v.ssh_public_key),
                "allowed_hosts": sorted(vendor_hosts.get(v.id, [])),
            }
            for v in inv.vendors
        ],
        # The mail gateway's policy; the quarantine key stays a reference ({env: NAME}).
        "ictinfra_mail_policy": inv.mail_policy.model_dump(mode="json", exclude_none=True),
    }
