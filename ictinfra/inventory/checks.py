"""Cross checks over the whole inventory: references, duplicates, addressing.

Each check reports with the file and line of the value at fault, and all checks run
even when earlier ones found problems, so one run shows everything to fix.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, TypeVar

from ictinfra.inventory.errors import Problem
from ictinfra.inventory.loader import Located, Where
from ictinfra.inventory.model import (
    Device,
    Flow,
    Hypervisor,
    Inventory,
    Lifecycle,
    MailPolicy,
    Organisation,
    Segment,
    Site,
    System,
    Vendor,
    Zone,
    ZoneKind,
)
from ictinfra.platforms import DRIVERS

T = TypeVar("T")


class _Checker:
    def __init__(self, located: Located) -> None:
        self.located = located
        self.problems: list[Problem] = []

    def items(self, section: str, kind: type[T]) -> list[tuple[T, Where]]:
        return [(obj, where) for obj, where in self.located.items(section) if isinstance(obj, kind)]

    def known(self, section: str, valid: dict[str, Where]) -> set[str]:
        """Keys a reference may name: valid items plus items already reported as invalid."""
        return set(valid) | self.located.invalid_keys.get(section, set())

    def is_invalid(self, section: str, key: str) -> bool:
        return key in self.located.invalid_keys.get(section, set())

    def report(self, where: Where, message: str, *path: str | int) -> None:
        self.problems.append(where.problem(message, *path))

    def unique(
        self, entries: Iterable[tuple[str, Where, tuple[str | int, ...]]], what: str
    ) -> dict[str, Where]:
        first: dict[str, Where] = {}
        for key, where, path in entries:
            if key in first:
                prev = first[key]
                self.report(
                    where,
                    f"duplicate {what} '{key}' (first defined at {prev.file}:{prev.line()})",
                    *path,
                )
            else:
                first[key] = where
        return first


def cross_check(located: Located) -> tuple[Inventory | None, list[Problem]]:
    """Check references and uniqueness on the whole; build the model when nothing is wrong."""
    c = _Checker(located)
    sites = c.items("sites", Site)
    zones = c.items("zones", Zone)
    segments = c.items("segments", Segment)
    devices = c.items("devices", Device)
    systems = c.items("systems", System)
    hypervisors = c.items("hypervisors", Hypervisor)
    vendors = c.items("vendors", Vendor)
    flows = c.items("flows", Flow)

    site_ids = c.unique(((s.id, w, ("id",)) for s, w in sites), "site id")
    zone_ids = c.unique(((z.id, w, ("id",)) for z, w in zones), "zone id")
    c.unique(((s.id, w, ("id",)) for s, w in segments), "segment id")
    c.unique(((d.hostname, w, ("hostname",)) for d, w in devices), "hostname")
    system_ids = c.unique(((s.id, w, ("id",)) for s, w in systems), "system id")
    c.unique(
        (
            (srv.name, w.at("servers", i), ("name",))
            for s, w in systems
            for i, srv in enumerate(s.servers)
        ),
        "server name",
    )
    c.unique(((h.name, w, ("name",)) for h, w in hypervisors), "hypervisor name")
    vendor_ids = c.unique(((v.id, w, ("id",)) for v, w in vendors), "vendor id")
    c.unique(((f.id, w, ("id",)) for f, w in flows), "flow id")

    site_known = c.known("sites", site_ids)
    zone_known = c.known("zones", zone_ids)
    system_known = c.known("systems", system_ids)
    zone_kind = {z.id: z.kind for z, _ in zones}
    for kind in (ZoneKind.MYNUMBER, ZoneKind.LGWAN, ZoneKind.INTERNET):
        if zones and kind not in zone_kind.values():
            _, where = zones[0]
            c.report(where, f"no zone of kind '{kind}': the three-tier model needs one")

    segs = {s.id: s for s, _ in segments}
    _check_segments(c, segments, site_known, zone_known)
    _check_devices(c, devices, site_known, segs)
    _check_systems(c, systems, zone_known, segs, c.known("vendors", vendor_ids))
    for h, w in hypervisors:
        if h.site not in site_known:
            c.report(w, f"unknown site '{h.site}'", "site")
        for i, zone in enumerate(h.zones):
            if zone not in zone_known:
                c.report(w, f"unknown zone '{zone}'", "zones", i)
    _check_flows(c, flows, zone_known, {s.id: s for s, _ in systems}, system_known)
    _check_addresses(c, devices, systems, hypervisors)

    if c.problems:
        return None, c.problems
    ((organisation, _),) = c.items("organisation", Organisation)
    ((mail_policy, _),) = c.items("mail_policy", MailPolicy)
    inventory = Inventory(
        organisation=organisation,
        sites=tuple(s for s, _ in sites),
        zones=tuple(z for z, _ in zones),
        segments=tuple(s for s, _ in segments),
        devices=tuple(d for d, _ in devices),
        systems=tuple(s for s, _ in systems),
        hypervisors=tuple(h for h, _ in hypervisors),
        vendors=tuple(v for v, _ in vendors),
        flows=tuple(f for f, _ in flows),
        mail_policy=mail_policy,
    )
    return inventory, []


def _check_segments(
    c: _Checker,
    segments: list[tuple[Segment, Where]],
    site_ids: set[str],
    zone_ids: set[str],
) -> None:
    vlans: dict[tuple[str, int], Where] = {}
    for seg, w in segments:
        if seg.site not in site_ids:
            c.report(w, f"unknown site '{seg.site}'", "site")
        if seg.zone not in zone_ids:
            c.report(w, f"unknown zone '{seg.zone}'", "zone")
        key = (seg.site, seg.vlan)
        if key in vlans:
            prev = vlans[key]
            c.report(
                w,
                f"VLAN {seg.vlan} is already used at site '{seg.site}' ({prev.file}:{prev.line()})",
                "vlan",
            )
        else:
            vlans[key] = w
    # Overlaps: sort by first address, keep the widest network seen so far (a sweep).
    ordered = sorted(
        segments, key=lambda sw: (int(sw[0].subnet.network_address), sw[0].subnet.prefixlen)
    )
    reach: tuple[Segment, Where] | None = None
    for seg, w in ordered:
        if reach is not None and seg.subnet.overlaps(reach[0].subnet):
            other, ow = reach
            c.report(
                w,
                f"subnet {seg.subnet} overlaps {other.subnet} of segment '{other.id}' "
                f"({ow.file}:{ow.line()})",
                "subnet",
            )
        if reach is None or int(seg.subnet.broadcast_address) > int(
            reach[0].subnet.broadcast_address
        ):
            reach = (seg, w)


def _check_devices(
    c: _Checker,
    devices: list[tuple[Device, Where]],
    site_ids: set[str],
    segs: dict[str, Segment],
) -> None:
    by_name = {d.hostname: d for d, _ in devices}
    for dev, w in devices:
        if dev.site not in site_ids:
            c.report(w, f"unknown site '{dev.site}'", "site")
        seen: set[str] = set()
        prefixes = DRIVERS[dev.platform].interface_prefixes
        for idx, iface in enumerate(dev.interfaces):
            if not iface.name.startswith(prefixes):
                c.report(
                    w,
                    f"'{iface.name}' is not an interface name of platform {dev.platform} "
                    f"(names start with {', '.join(prefixes)})",
                    "interfaces",
                    idx,
                    "name",
                )
            if iface.name in seen:
                c.report(w, f"duplicate interface '{iface.name}'", "interfaces", idx, "name")
            seen.add(iface.name)
            _check_interface(c, dev, w, idx, segs)
        if dev.replaces is not None:
            if not c.is_invalid("devices", dev.replaces):
                _check_replacement(c, dev, w, by_name.get(dev.replaces))
        elif dev.interface_map:
            c.report(w, "interface_map needs 'replaces'", "interface_map")


def _check_replacement(c: _Checker, dev: Device, w: Where, old: Device | None) -> None:
    if old is None:
        c.report(w, f"replaces unknown device '{dev.replaces}'", "replaces")
        return
    if old.lifecycle is not Lifecycle.CURRENT:
        c.report(w, f"replaces '{dev.replaces}', which is not a current device", "replaces")
        return
    if old.site != dev.site:
        c.report(w, f"replaces '{old.hostname}' at site '{old.site}', not '{dev.site}'", "replaces")
    old_names = {i.name for i in old.interfaces}
    new_names = {i.name for i in dev.interfaces}
    for src, dst in dev.interface_map.items():
        if src not in old_names:
            c.report(
                w,
                f"interface_map: '{src}' is not an interface of '{old.hostname}'",
                "interface_map",
                src,
            )
        if dst not in new_names:
            c.report(
                w,
                f"interface_map: '{dst}' is not an interface of this device",
                "interface_map",
                src,
            )


def _check_interface(
    c: _Checker, dev: Device, w: Where, idx: int, segs: dict[str, Segment]
) -> None:
    iface = dev.interfaces[idx]
    path: tuple[str | int, ...] = ("interfaces", idx)
    if iface.segment is None:
        return
    seg = segs.get(iface.segment)
    if seg is None:
        if c.is_invalid("segments", iface.segment):
            return
        c.report(w, f"unknown segment '{iface.segment}'", *path, "segment")
        return
    if seg.site != dev.site:
        c.report(
            w,
            f"segment '{seg.id}' is at site '{seg.site}', not the device's '{dev.site}'",
            *path,
            "segment",
        )
    if iface.address is not None:
        if iface.address.ip not in seg.subnet:
            c.report(
                w,
                f"address {iface.address.ip} is outside segment '{seg.id}' ({seg.subnet})",
                *path,
                "address",
            )
        elif iface.address.network != seg.subnet:
            c.report(
                w,
                f"address {iface.address} has another mask than segment '{seg.id}' ({seg.subnet})",
                *path,
                "address",
            )
        elif iface.address.ip in {seg.subnet.network_address, seg.subnet.broadcast_address}:
            c.report(
                w,
                f"address {iface.address.ip} is the network or broadcast address of {seg.subnet}",
                *path,
                "address",
            )


def _check_systems(
    c: _Checker,
    systems: list[tuple[System, Where]],
    zone_ids: set[str],
    segs: dict[str, Segment],
    vendor_ids: set[str],
) -> None:
    for sys_, w in systems:
        for i, zone in enumerate(sys_.zones):
            if zone not in zone_ids:
                c.report(w, f"unknown zone '{zone}'", "zones", i)
        if sys_.vendor is not None and sys_.vendor not in vendor_ids:
            c.report(w, f"unknown vendor '{sys_.vendor}'", "vendor")
        for i, srv in enumerate(sys_.servers):
            seg = segs.get(srv.segment)
            if seg is None:
                if c.is_invalid("segments", srv.segment):
                    continue
                c.report(
                    w,
                    f"server '{srv.name}': unknown segment '{srv.segment}'",
                    "servers",
                    i,
                    "segment",
                )
                continue
            if seg.zone not in sys_.zones:
                c.report(
                    w,
                    f"server '{srv.name}' is on segment '{seg.id}' in zone '{seg.zone}', "
                    f"which is not a zone of system {sys_.id} ({', '.join(sys_.zones)})",
                    "servers",
                    i,
                    "segment",
                )
            if srv.address not in seg.subnet:
                c.report(
                    w,
                    f"server '{srv.name}': address {srv.address} is outside segment "
                    f"'{seg.id}' ({seg.subnet})",
                    "servers",
                    i,
                    "address",
                )


def _check_flows(
    c: _Checker,
    flows: list[tuple[Flow, Where]],
    zone_ids: set[str],
    systems: dict[str, System],
    system_ids: set[str],
) -> None:
    for flow, w in flows:
        for field in ("source_zone", "destination_zone"):
            if getattr(flow, field) not in zone_ids:
                c.report(w, f"unknown zone '{getattr(flow, field)}'", field)
        if flow.source_zone == flow.destination_zone:
            c.report(w, "a flow crosses between two different zones", "destination_zone")
        for field, zone in (
            ("source_system", flow.source_zone),
            ("destination_system", flow.destination_zone),
        ):
            sid = getattr(flow, field)
            if sid is None:
                continue
            if sid not in system_ids:
                c.report(w, f"unknown system '{sid}'", field)
            elif sid in systems and zone not in systems[sid].zones:
                c.report(w, f"system {sid} is not in zone '{zone}'", field)


def _check_addresses(
    c: _Checker,
    devices: list[tuple[Device, Where]],
    systems: list[tuple[System, Where]],
    hypervisors: list[tuple[Hypervisor, Where]],
) -> None:
    """One address, one owner. A device may reuse its own address (management on an SVI)."""
    # Owner, and where it claimed the address (its line is looked up only for a report).
    owners: dict[ipaddress.IPv4Address, tuple[str, Where, tuple[Any, ...]]] = {}

    def claim(addr: ipaddress.IPv4Address, owner: str, where: Where, *path: Any) -> None:
        prev = owners.get(addr)
        if prev is None:
            owners[addr] = (owner, where, path)
        elif prev[0] != owner:
            pw = prev[1]
            c.report(
                where,
                f"address {addr} is already used by {prev[0]} ({pw.file}:{pw.line(*prev[2])})",
                *path,
            )

    c.unique(
        ((str(d.mgmt_address), w, ("mgmt_address",)) for d, w in devices),
        "management address",
    )
    for dev, w in devices:
        # A replacement takes over the addresses of the device it replaces at cutover.
        owner = f"device '{dev.replaces or dev.hostname}'"
        claim(dev.mgmt_address, owner, w, "mgmt_address")
        for i, iface in enumerate(dev.interfaces):
            if iface.address is not None:
                claim(iface.address.ip, owner, w, "interfaces", i, "address")
    for sys_, w in systems:
        for i, srv in enumerate(sys_.servers):
            claim(srv.address, f"server '{srv.name}'", w, "servers", i, "address")
    for hyp, w in hypervisors:
        claim(hyp.mgmt_address, f"hypervisor '{hyp.name}'", w, "mgmt_address")


__all__ = ["cross_check"]
