"""The Ansible view of the inventory: hosts grouped by zone, site and role, with variables.

One function builds it; the inventory plugin (``inventory/inventory_plugins``) and the
rendered ``build/ansible/hosts.yml`` both use it, so they cannot disagree.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ictinfra.inventory.loader import (
    MAP_TAG,
    SEQ_TAG,
    STR_TAG,
    cached_resolve,
    collector_paused,
)
from ictinfra.inventory.model import Inventory, ZoneKind

ANSIBLE_NETWORK_OS = {
    "cisco_ios": "cisco.ios.ios",
    "cisco_xe": "cisco.ios.ios",
    "yamaha": "yamaha_network.rtx.rtx",
    "nec_ix": "nec_ix",
}


@functools.cache  # a few names (zones, sites, systems), asked for once per host
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


HOSTS_HEADER = "# Rendered by ictinfra from the inventory.\n"

# libyaml's emitter when the C extension is there (10x faster at scale), else PyYAML's.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_STR, _MAP, _SEQ = STR_TAG, MAP_TAG, SEQ_TAG
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """The safe dumper whose resolver remembers its answers.

    The emitter asks twice per scalar whether it would read back as a string; a static
    inventory repeats the same values (zones, sites, OS names) hundreds of thousands of
    times at scale, and the resolver's regex walk was most of the emitting time.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resolve = cached_resolve


class _Unusual(Exception):  # noqa: N818 - a signal inside this module, not an error
    """A value outside the plain JSON-like types: the generic representer handles it."""


def _represent(data: Any) -> yaml.Node:
    """The node tree PyYAML's SafeRepresenter builds for ``data`` (block style, keys in
    their order), for dicts, lists, str, int, bool and None only.

    The generic representer costs a dispatch over the type's MRO, alias bookkeeping and
    several calls per scalar; at 100x the static inventory has 600,000 scalars and that was
    most of the Ansible step. A dict or list met twice becomes the same node (an alias),
    as the generic representer does; anything else raises ``_Unusual``.
    """
    seen: dict[int, yaml.Node] = {}
    scalar = yaml.ScalarNode

    def node(obj: Any) -> yaml.Node:  # noqa: PLR0911 - one return per type
        kind = type(obj)
        if kind is str:
            return scalar(_STR, obj)
        if kind is dict:
            hit = seen.get(id(obj))
            if hit is not None:
                return hit
            pairs: list[tuple[yaml.Node, yaml.Node]] = []
            mapping = seen[id(obj)] = yaml.MappingNode(_MAP, pairs, flow_style=False)
            for key, value in obj.items():
                pairs.append((node(key), node(value)))
            return mapping
        if kind is list:
            hit = seen.get(id(obj))
            if hit is not None:
                return hit
            items: list[yaml.Node] = []
            sequence = seen[id(obj)] = yaml.SequenceNode(_SEQ, items, flow_style=False)
            items.extend(node(item) for item in obj)
            return sequence
        if kind is int:
            return scalar(_INT, str(obj))
        if kind is bool:
            return scalar(_BOOL, "true" if obj else "false")
        if obj is None:
            return scalar(_NULL, "null")
        raise _Unusual

    try:
        return node(data)
    finally:
        # ``node`` refers to itself (a cycle the collector alone frees): it must not keep
        # the whole tree alive through ``seen``.
        seen.clear()


def dump_yaml(data: Any) -> str:
    """``yaml.dump(data, Dumper=CSafeDumper, allow_unicode=True, sort_keys=False,
    default_flow_style=False)``, the same text, faster for plain data."""
    # A million acyclic nodes: nothing for the collector to find. They are freed before it
    # resumes (or its first pass would walk them all).
    with collector_paused():
        return _dump(data)


def _dump(data: Any) -> str:
    try:
        root = _represent(data)
    except _Unusual:
        text: str = yaml.dump(
            data, Dumper=_BaseDumper, allow_unicode=True, sort_keys=False, default_flow_style=False
        )
        return text
    stream = io.StringIO()
    dumper = _Dumper(stream, allow_unicode=True, default_flow_style=False, sort_keys=False)
    try:
        dumper.open()
        dumper.serialize(root)
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


def ansible_hosts_yaml(inv: Inventory) -> str:
    """``build/ansible/hosts.yml``: the static inventory Ansible reads with ``-i``."""
    return HOSTS_HEADER + dump_yaml(build_ansible_inventory(inv).to_yaml_data())
