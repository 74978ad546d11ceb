"""Old configuration -> neutral model -> replacement configuration, failing closed.

``translate_text`` works on any file (reviewers, vendors); ``translate_device`` adds the
inventory's new-platform facts for a replacement device (its name, interface mapping,
addresses). Every source line ends translated, dropped with a reason, unsupported, or
waived; a translation with unsupported lines renders nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

from ictinfra.inventory.model import Device, Inventory, Platform
from ictinfra.netmig.errors import TranslateError
from ictinfra.netmig.model import (
    ANY,
    AclEntry,
    BgpStatement,
    Interface,
    LineAccount,
    NeutralDevice,
    Outcome,
    PortMatch,
    StaticRoute,
    Translation,
)
from ictinfra.netmig.parsers.common import Accountant
from ictinfra.netmig.parsers.ios import parse_ios
from ictinfra.netmig.parsers.yamaha import parse_yamaha
from ictinfra.platforms import driver
from ictinfra.render.devices import SWITCH_ROLES
from ictinfra.render.environment import environment

Parser = Callable[[str], tuple[NeutralDevice, Accountant]]

PARSERS: dict[Platform, Parser] = {
    Platform.CISCO_IOS: parse_ios,
    Platform.CISCO_XE: parse_ios,
    Platform.YAMAHA_RTX: parse_yamaha,
}

_ALL = frozenset(
    {
        "hostname",
        "domain",
        "dns",
        "ntp",
        "syslog",
        "snmp_location",
        "snmp_contact",
        "snmp_community",
        "banner",
        "vlan",
        "interface",
        "interface_description",
        "interface_address",
        "interface_secondary",
        "interface_shutdown",
        "switchport",
        "acl",
        "acl_binding",
        "static_route",
        "static_route_interface",
        "ospf",
        "ospf_passive",
        "ospf_redistribute",
        "aaa",
        "aaa_server",
        "aaa_user",
        "fhrp",
        "interface_speed",
        "prefix_list",
        "community_list",
        "route_map",
        "bgp",
    }
)
POLICY = frozenset({"prefix_list", "community_list", "route_map"})
AAA = frozenset({"aaa", "aaa_server", "aaa_user"})
# Why a target lacks a feature, when there is more to say than "no rendering".
NOT_RENDERED: dict[tuple[Platform, str], str] = (
    {
        (Platform.NEC_IX, f): "NEC IX AAA syntax is not verified against its command reference: "
        "set AAA up on the replacement by hand (and waive the line), or keep the device blocked"
        for f in ("aaa", "aaa_server", "aaa_user")
    }
    | {
        (target, "fhrp"): f"{target} VRRP syntax is not verified against its command reference: "
        "configure the redundancy group on the replacement by hand (and waive the line)"
        for target in (Platform.NEC_IX, Platform.YAMAHA_RTX)
    }
    | {
        (target, "interface_speed"): f"{target} speed/duplex syntax is not verified against its "
        "command reference: set the port on the replacement by hand (and waive the line)"
        for target in (Platform.NEC_IX, Platform.YAMAHA_RTX)
    }
)
# What each target's template renders; a translated line whose feature is missing here
# becomes unsupported for that target (aerleon-style: declared, not discovered).
CAPABILITIES: dict[Platform, frozenset[str]] = {
    Platform.CISCO_IOS: _ALL,
    Platform.CISCO_XE: _ALL,
    Platform.NEC_IX: _ALL
    - {"banner", "vlan", "switchport", "ospf_passive", "static_route_interface", "fhrp"}
    - {"interface_speed", "ospf_redistribute"}
    - AAA
    - POLICY
    - {"bgp"},
    # RTX to a newer RTX: what the YAMAHA template renders today.
    Platform.YAMAHA_RTX: frozenset(
        {
            "hostname",
            "domain",
            "dns",
            "ntp",
            "syslog",
            "snmp_location",
            "snmp_contact",
            "interface",
            "interface_description",
            "interface_address",
            "static_route",
            "ospf",
        }
    ),
}


# --- ACL entry text per target ------------------------------------------------------------


def _ios_addr(net: ipaddress.IPv4Network) -> str:
    if net == ANY:
        return "any"
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.hostmask}"


def _ios_ports(match: PortMatch | None) -> str:
    if match is None:
        return ""
    return f" {match.op} {' '.join(map(str, match.ports))}"


def ios_entry(e: AclEntry, kind: str) -> str:
    if kind == "standard":
        return f"{e.action} {_ios_addr(e.source)}{' log' if e.log else ''}"
    text = (
        f"{e.action} {e.protocol} {_ios_addr(e.source)}{_ios_ports(e.source_port)} "
        f"{_ios_addr(e.destination)}{_ios_ports(e.destination_port)}"
    )
    return text + (" established" if e.established else "") + (" log" if e.log else "")


def _nec_ports(word: str, match: PortMatch | None) -> list[str]:
    if match is None:
        return [word, "any"]
    if match.op == "range":
        return [word, "range", str(match.ports[0]), str(match.ports[1])]
    if match.op == "eq" and len(match.ports) > 1:
        raise TranslateError("NEC IX takes one port per entry")
    return [word, match.op, str(match.ports[0])]


def nec_entry(e: AclEntry, kind: str) -> str:  # noqa: ARG001 - one signature for all targets
    src = "any" if e.source == ANY else str(e.source)
    dst = "any" if e.destination == ANY else str(e.destination)
    words = [e.action, e.protocol, "src", src]
    if e.protocol in {"tcp", "udp"}:
        words += _nec_ports("sport", e.source_port)
    words += ["dest", dst]
    if e.protocol in {"tcp", "udp"}:
        words += _nec_ports("dport", e.destination_port)
    if e.established:
        words.append("established")
    if e.log:
        words.append("log")
    return " ".join(words)


def no_entry(e: AclEntry, kind: str) -> str:  # noqa: ARG001 - one signature for all targets
    raise TranslateError("this target renders no ACLs")  # guarded by CAPABILITIES


ENTRY_TEXT: dict[str, Callable[[AclEntry, str], str]] = {
    "ios": ios_entry,
    "nec_ix": nec_entry,
    "yamaha": no_entry,
}


# --- rendering ------------------------------------------------------------------------------


def _ospf_area(nd: NeutralDevice, iface: Interface) -> int | None:
    """The interface's area: its own (YAMAHA style) or the network statement covering it."""
    if iface.ospf_area is not None or nd.ospf is None or not iface.addresses:
        return iface.ospf_area
    ip = iface.addresses[0].ip
    return next((n.area for n in nd.ospf.networks if ip in n.network), None)


def target_context(
    nd: NeutralDevice, target: Platform, model: str, *, is_switch: bool, banner: str = ""
) -> dict[str, Any]:
    """The template context of ``render.devices.device_context``, plus translated extras."""
    family = driver(target).family
    entry_text = ENTRY_TEXT[family]
    interfaces = [
        {
            "name": i.name,
            "description": i.description,
            "mode": i.mode,
            "address": i.addresses[0] if i.addresses else None,
            "secondary": list(i.addresses[1:]),
            "access_vlan": i.access_vlan,
            "vlans": list(i.trunk_vlans),
            "native_vlan": i.native_vlan,
            "acl_in": i.acl_in,
            "acl_out": i.acl_out,
            "fhrp": [g.model_dump() for g in i.fhrp],
            "speed": i.speed,
            "duplex": i.duplex,
            "shut": i.shutdown,
            "ospf_area": _ospf_area(nd, i),
        }
        for i in nd.interfaces
    ]
    routes = []
    for r in nd.static_routes:
        hop = " ".join(x for x in (r.interface or "", str(r.next_hop or "")) if x)
        routes.append(
            {"prefix": r.prefix, "next_hop": hop, "distance": r.distance, "description": r.name}
        )
    ospf = None
    if nd.ospf is not None:
        areas: dict[int, list[ipaddress.IPv4Network]] = {}
        for net in nd.ospf.networks:
            areas.setdefault(net.area, []).append(net.network)
        ospf = {
            "process": nd.ospf.process,
            "router_id": nd.ospf.router_id,
            "areas": [{"area": a, "networks": nets} for a, nets in areas.items()],
            "passive_interfaces": list(nd.ospf.passive_interfaces),
            "redistribute": list(nd.ospf.redistribute),
        }
    return {
        "hostname": nd.hostname,
        "model": model,
        "platform": str(target),
        "domain": nd.domain,
        "domain_name": nd.domain,
        "banner": nd.banner or banner,
        "ntp_servers": [str(a) for a in nd.ntp_servers],
        "syslog_servers": [str(a) for a in nd.syslog_hosts],
        "dns_servers": [str(a) for a in nd.name_servers],
        "snmp_location": nd.snmp_location,
        "snmp_contact": nd.snmp_contact,
        "snmp_communities": [c.model_dump() for c in nd.snmp_communities],
        "is_switch": is_switch,
        "vlans": [{"id": v.id, "name": v.name or f"vlan{v.id}"} for v in nd.vlans],
        "interfaces": interfaces,
        "static_routes": routes,
        "ospf": ospf,
        "acls": [
            {"name": a.name, "kind": a.kind, "lines": [entry_text(e, a.kind) for e in a.entries]}
            for a in nd.acls
        ],
        "aaa": nd.aaa.model_dump() if nd.aaa is not None else None,
        "prefix_lists": [p.model_dump() for p in nd.prefix_lists],
        "community_lists": [c.model_dump() for c in nd.community_lists],
        "route_maps": [r.model_dump() for r in nd.route_maps],
        "bgp": nd.bgp.model_dump() if nd.bgp is not None else None,
    }


def render(nd: NeutralDevice, target: Platform, model: str, *, is_switch: bool) -> str:
    family = driver(target).family
    return (
        environment()
        .get_template(f"{family}/config.j2")
        .render(target_context(nd, target, model, is_switch=is_switch))
    )


# --- fail closed ----------------------------------------------------------------------------


def _waived(text: str, waivers: tuple[str, ...]) -> bool:
    for w in waivers:
        if w.startswith("re:"):
            if re.search(w[3:], text):
                return True
        elif text.strip() == w.strip():
            return True
    return False


def _retarget(
    nd: NeutralDevice,
    accounting: list[LineAccount],
    target: Platform,
    interface_map: Mapping[str, str],
) -> tuple[NeutralDevice, list[LineAccount]]:
    """Rename interfaces; interfaces the target cannot have make their lines unsupported."""
    prefixes = driver(target).interface_prefixes
    kept: list[Interface] = []
    lost: set[str] = set()
    for iface in nd.interfaces:
        name = interface_map.get(iface.name, iface.name)
        if not name.startswith(prefixes):
            lost.add(iface.name)
            continue
        kept.append(iface.model_copy(update={"name": name}))
    rename = dict(interface_map)
    ospf = nd.ospf
    if ospf is not None:
        ospf = ospf.model_copy(
            update={"passive_interfaces": tuple(rename.get(p, p) for p in ospf.passive_interfaces)}
        )
    routes = tuple(
        r.model_copy(update={"interface": rename.get(r.interface, r.interface)})
        if r.interface
        else r
        for r in nd.static_routes
    )
    out: list[LineAccount] = []
    for a in accounting:
        scope = a.scope
        if scope in lost and a.outcome is Outcome.TRANSLATED:
            a = a.model_copy(  # noqa: PLW2901 - the copy replaces the entry
                update={
                    "outcome": Outcome.UNSUPPORTED,
                    "reason": f"interface {scope} has no counterpart on {target} "
                    "(add it to the device's interface_map)",
                }
            )
        out.append(a)
    bgp = nd.bgp
    if bgp is not None:

        def renamed(s: BgpStatement) -> BgpStatement:
            if s.interface is None or s.interface not in rename:
                return s
            new = rename[s.interface]
            text = re.sub(
                rf" update-source {re.escape(s.interface)}$", f" update-source {new}", s.text
            )
            return s.model_copy(update={"text": text, "interface": new})

        bgp = bgp.model_copy(
            update={
                "statements": tuple(renamed(s) for s in bgp.statements),
                "ipv4": None if bgp.ipv4 is None else tuple(renamed(s) for s in bgp.ipv4),
            }
        )
    device = nd.model_copy(
        update={"interfaces": tuple(kept), "ospf": ospf, "static_routes": routes, "bgp": bgp}
    )
    return device, out


def _check_capabilities(
    accounting: list[LineAccount], target: Platform, waivers: tuple[str, ...]
) -> tuple[LineAccount, ...]:
    caps = CAPABILITIES[target]
    out = []
    for a in accounting:
        feature = a.feature
        if a.outcome is Outcome.TRANSLATED and feature not in caps:
            a = a.model_copy(  # noqa: PLW2901 - the copy replaces the entry
                update={
                    "outcome": Outcome.UNSUPPORTED,
                    "reason": NOT_RENDERED.get(
                        (target, feature), f"{target} has no rendering for {feature}"
                    ),
                }
            )
        if a.outcome is Outcome.UNSUPPORTED and _waived(a.text, waivers):
            a = a.model_copy(update={"outcome": Outcome.WAIVED})  # noqa: PLW2901
        out.append(a)
    return tuple(out)


def translate_text(
    text: str,
    source: Platform,
    target: Platform,
    *,
    interface_map: Mapping[str, str] | None = None,
    waivers: tuple[str, ...] = (),
    model: str = "",
    is_switch: bool | None = None,
    merge: Callable[[NeutralDevice], NeutralDevice] | None = None,
    hostname: str = "",
) -> Translation:
    """Translate one configuration; ``config`` is empty when unsupported lines remain."""
    if source not in PARSERS:
        raise TranslateError(f"no parser for source platform {source}")
    if target not in CAPABILITIES:
        raise TranslateError(f"{target} is not a replacement platform (no target template)")
    nd, acct = PARSERS[source](text)
    nd, accounting = _retarget(nd, list(acct.result()), target, interface_map or {})
    if merge is not None:
        nd = merge(nd)
    if hostname:
        nd = nd.model_copy(update={"hostname": hostname})
    final = _check_capabilities(accounting, target, waivers)
    switch = (
        is_switch
        if is_switch is not None
        else any(i.switchport is not None or i.mode != "routed" for i in nd.interfaces)
    )
    translation = Translation(
        source_platform=str(source), target_platform=str(target), device=nd, accounting=final
    )
    if not translation.ok:
        return translation
    if not nd.hostname:
        raise TranslateError("the source names no hostname: give one")
    try:
        config = render(nd, target, model or str(target), is_switch=switch)
    except TranslateError as exc:
        raise TranslateError(f"{nd.hostname}: {exc}") from exc
    return translation.model_copy(update={"config": config})


# --- with the inventory -----------------------------------------------------------------------


def inventory_merge(inv: Inventory, dev: Device) -> Callable[[NeutralDevice], NeutralDevice]:
    """The replacement's facts win: hostname, addresses of its interfaces, added routes."""
    segments = inv.segments_by_id

    def merge(nd: NeutralDevice) -> NeutralDevice:
        by_name = {i.name: i for i in nd.interfaces}
        interfaces = list(nd.interfaces)
        for fact in dev.interfaces:
            seg = segments.get(fact.segment) if fact.segment else None
            current = by_name.get(fact.name)
            if current is None:
                new = Interface(
                    name=fact.name,
                    description=fact.description or (f"{seg.id} ({seg.zone})" if seg else ""),
                    addresses=(fact.address,) if fact.address else (),
                    shutdown=fact.mode == "shutdown",
                    mode=fact.mode if fact.mode in {"access", "trunk"} else "routed",
                    access_vlan=seg.vlan if seg is not None and fact.mode == "access" else None,
                    trunk_vlans=fact.vlans,
                )
                interfaces.append(new)
                continue
            update: dict[str, Any] = {}
            if fact.address is not None:
                update["addresses"] = (fact.address, *current.addresses[1:])
            if fact.description:
                update["description"] = fact.description
            interfaces[interfaces.index(current)] = current.model_copy(update=update)
        # The inventory's distance wins for a route it names (a YAMAHA backup gateway has
        # no distance of its own, only "backup"); routes it adds are appended.
        wanted: dict[tuple[ipaddress.IPv4Network, ipaddress.IPv4Address | None], int] = {
            (r.prefix, r.next_hop): r.distance for r in dev.static_routes
        }
        routes = [
            r.model_copy(update={"distance": wanted[(r.prefix, r.next_hop)]})
            if (r.prefix, r.next_hop) in wanted
            else r
            for r in nd.static_routes
        ]
        have = {(r.prefix, r.next_hop) for r in routes}
        routes.extend(
            StaticRoute(prefix=r.prefix, next_hop=r.next_hop, distance=r.distance)
            for r in dev.static_routes
            if (r.prefix, r.next_hop) not in have
        )
        return nd.model_copy(
            update={
                "hostname": dev.hostname,
                "interfaces": tuple(interfaces),
                "static_routes": tuple(routes),
            }
        )

    return merge


def translate_device(inv: Inventory, dev: Device, old_config: str) -> Translation:
    """The intended configuration of replacement ``dev`` from its predecessor's config."""
    if dev.replaces is None:
        raise TranslateError(f"{dev.hostname} is not a replacement device")
    old = inv.devices_by_hostname[dev.replaces]
    return translate_text(
        old_config,
        old.platform,
        dev.platform,
        interface_map=dev.interface_map,
        waivers=dev.waive_unsupported,
        model=dev.model,
        is_switch=dev.role in SWITCH_ROLES,
        merge=inventory_merge(inv, dev),
    )


def accounting_report(t: Translation) -> str:
    """The line accounting as a reviewer reads it."""
    width = max((len(a.text) for a in t.accounting), default=0)
    width = min(width, 60)
    lines = [f"# {t.source_platform} -> {t.target_platform}: {t.counts()}"]
    for a in t.accounting:
        note = a.feature if a.outcome is Outcome.TRANSLATED else a.reason
        lines.append(f"{a.number:>5} {a.outcome.value:<11} {a.text[:60]:<{width}}  {note}")
    return "\n".join(lines) + "\n"
