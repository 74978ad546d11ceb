"""Generators: the policy's paths as nftables rulesets and per-platform device ACLs.

Both start from the same neutral list of *entries* (what to permit, from the policy);
the per-platform templates only spell them. Default deny, drops logged. Nothing here
reads a rendered text back: that is the verifier's job, so that a template bug shows.
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ictinfra.inventory.model import Component, Device, Flow, Inventory, Protocol, ZoneKind
from ictinfra.isolation.errors import IsolationError
from ictinfra.isolation.parse_acl import YAMAHA_MAX_COMMAND
from ictinfra.isolation.policy import (
    LINK_LOCAL_MULTICAST,
    OUTSIDE,
    ROUTING,
    Profile,
    between_zones,
    endpoint_networks,
    permitted_flows,
    zone_networks,
)
from ictinfra.isolation.space import Interval, net_interval
from ictinfra.platforms import driver
from ictinfra.render.environment import environment

Net = ipaddress.IPv4Network
ACL_NAME = "ICTINFRA-ISOLATION"
STATE_NAME = "ICTINFRA-STATE"
# NEC UNIVERGE IX access-list names are limited to 15 characters (command reference 13-3 and
# 24-6 as cited by public IX2215 write-ups): the static list, the dynamic list that lets the
# replies of its permitted connections back in, and the pass-all list behind it on 'out'.
NEC_NAMES = {"acl": "ICTINFRA-ISO", "dynamic": "ICTINFRA-DYN", "out": "ICTINFRA-OUT"}
NFT_TABLE = "ictinfra_isolation"
DEFAULT_GATEWAY = "isolation-gateway"  # when the inventory names no isolation gateway


@dataclass(frozen=True)
class Entry:
    """One permitted path: ``None`` ends mean the outside (no zone of the inventory)."""

    label: str
    source_zone: str
    destination_zone: str
    sources: tuple[Net, ...] | None
    destinations: tuple[Net, ...] | None
    protocol: str  # tcp, udp, icmp, ospf, ip
    ports: tuple[int, ...] = ()
    source_set: str | None = None  # a whole zone: the generators may name its set
    destination_set: str | None = None


def _flow_entries(inv: Inventory, flow: Flow, nets: dict[str, list[Net]]) -> list[Entry]:
    src = tuple(endpoint_networks(inv, flow.source_zone, flow.source_system, nets))
    dst = tuple(endpoint_networks(inv, flow.destination_zone, flow.destination_system, nets))
    out = []
    for proto in (Protocol.TCP, Protocol.UDP, Protocol.ICMP):
        services = [s for s in flow.services if s.protocol is proto]
        if not services or not src or not dst:
            continue
        ports = tuple(sorted({s.port for s in services if s.port is not None}))
        out.append(
            Entry(
                label=f"flow {flow.id} ({flow.via})",
                source_zone=flow.source_zone,
                destination_zone=flow.destination_zone,
                sources=src,
                destinations=dst,
                protocol=str(proto),
                ports=ports,
                source_set=None if flow.source_system else flow.source_zone,
                destination_set=None if flow.destination_system else flow.destination_zone,
            )
        )
    return out


def policy_entries(inv: Inventory, prof: Profile) -> list[Entry]:
    """Every path the policy permits, flows first, then zones, then the outside."""
    entries: list[Entry] = []
    nets = zone_networks(inv)
    for flow in permitted_flows(inv, prof):
        entries.extend(_flow_entries(inv, flow, nets))
    entries.extend(
        Entry(
            f"intra-zone {zone.id}",
            zone.id,
            zone.id,
            tuple(nets[zone.id]),
            tuple(nets[zone.id]),
            "ip",
            source_set=zone.id,
            destination_set=zone.id,
        )
        for zone in inv.zones
        if nets[zone.id]
    )
    # Routers' OSPF hellos and updates go to link-local multicast, outside every zone.
    entries.append(
        Entry(
            "routing (OSPF, link-local multicast)",
            ROUTING,
            OUTSIDE,
            tuple(inventory_networks(inv)),
            (LINK_LOCAL_MULTICAST,),
            "ospf",
            source_set="inventory",
        )
    )
    # WAN transit addresses are inventory space too: a packet to them is not "outside".
    entries.extend(
        Entry(
            f"outside from {zone.id}",
            zone.id,
            OUTSIDE,
            tuple(nets[zone.id]),
            None,
            "ip",
            source_set=zone.id,
        )
        for zone in inv.zones
        if nets[zone.id] and zone.kind in prof.outbound_kinds
    )
    for zone in inv.zones:
        if nets[zone.id] and zone.kind is ZoneKind.DMZ:
            for proto in sorted({p for p, _ in prof.public_services}):
                ports = tuple(sorted(port for p, port in prof.public_services if p == proto))
                entries.append(
                    Entry(
                        f"public to {zone.id}",
                        OUTSIDE,
                        zone.id,
                        None,
                        tuple(nets[zone.id]),
                        proto,
                        ports,
                        destination_set=zone.id,
                    )
                )
    return entries


def inventory_networks(inv: Inventory) -> list[Net]:
    return list(ipaddress.collapse_addresses(s.subnet for s in inv.segments))


# --- nftables -------------------------------------------------------------------------


@dataclass(frozen=True)
class Gateway:
    name: str
    address: str | None


def gateways(inv: Inventory) -> list[Gateway]:
    """The Linux isolation gateways: servers of isolation-gateway systems (or one default)."""
    out = [
        Gateway(server.name, str(server.address))
        for system in inv.systems
        if system.component is Component.ISOLATION_GATEWAY
        for server in system.servers
    ]
    return out or [Gateway(DEFAULT_GATEWAY, None)]


def set_name(zone: str) -> str:
    return "zone_" + re.sub(r"[^A-Za-z0-9_]", "_", zone)


def _nft_match(nets: tuple[Net, ...] | None, set_: str | None, all_set: str) -> str:
    if nets is None:
        return f"!= @{all_set}"
    if set_ == "inventory":
        return f"@{all_set}"
    if set_ is not None:
        return f"@{set_name(set_)}"
    if len(nets) == 1:
        return str(nets[0]) if nets[0].prefixlen < 32 else str(nets[0].network_address)
    return "{ " + ", ".join(_elem(n) for n in nets) + " }"


def _elem(net: Net) -> str:
    return str(net.network_address) if net.prefixlen == 32 else str(net)


def nft_context(inv: Inventory, prof: Profile, gateway: Gateway) -> dict[str, Any]:
    nets = zone_networks(inv)
    rules = []
    for e in policy_entries(inv, prof):
        rule = {
            "saddr": _nft_match(e.sources, e.source_set, "inventory"),
            "daddr": _nft_match(e.destinations, e.destination_set, "inventory"),
            "protocol": e.protocol,
            "ports": ", ".join(str(p) for p in e.ports),
            "multi": len(e.ports) > 1,
            "comment": e.label,
        }
        rules.append(rule)
    bastions = [
        _elem(Net(s.address))
        for system in inv.systems
        if system.component is Component.BASTION
        for s in system.servers
    ]
    return {
        "gateway": gateway.name,
        "profile": prof.name.value,
        "title": prof.title,
        "table": NFT_TABLE,
        "sets": [
            {"name": set_name(z), "elements": ", ".join(_elem(n) for n in v)}
            for z, v in nets.items()
            if v
        ],
        "inventory": ", ".join(_elem(n) for n in inventory_networks(inv)),
        "rules": rules,
        "bastions": ", ".join(bastions),
    }


def render_nftables(inv: Inventory, prof: Profile, gateway: Gateway) -> str:
    return (
        environment()
        .get_template("nftables/ruleset.nft.j2")
        .render(nft_context(inv, prof, gateway))
    )


# --- device ACLs ----------------------------------------------------------------------


def interface_zones(inv: Inventory, dev: Device) -> dict[str, str]:
    """Routed (addressed) interfaces of a device and the zone each faces."""
    return {
        i.name: inv.segments_by_id[i.segment].zone
        for i in dev.interfaces
        if i.address is not None and i.segment is not None
    }


def border_devices(inv: Inventory) -> list[Device]:
    """Devices routing between two or more zones (the WAN only carries them)."""
    kinds = {z.id: z.kind for z in inv.zones}
    return [
        dev
        for dev in inv.devices
        # a border joins two zones
        if len({z for z in interface_zones(inv, dev).values() if kinds[z] is not ZoneKind.WAN}) >= 2
    ]


Address = Net | str | None  # a prefix, a named group, or None for any


def group_name(zone: str) -> str:
    return "ICTINFRA-INVENTORY" if zone == "inventory" else f"ICTINFRA-ZONE-{zone}"


@dataclass(frozen=True)
class Scope:
    """What one device's ACL carries.

    ``grouped``: whole zones are named groups (IOS object-groups), so the ACL grows with
    the number of flows, not with the square of the number of subnets.

    ``local``: the subnets of the device's site, by zone. A border device carries only
    paths with an end at its own site (sites meet through the WAN, whose routers join no
    two zones), so each path between two inventory ends is cut to its part from or to
    the site, and a path with no end there is left out: an office router does not list
    the data centre's system-to-system flows, and the estate's ACLs grow with the estate,
    not with its square. ``transit`` devices (hubs the inventory marks ``transit: true``)
    carry every path. Traffic of a zone to the outside is carried wherever that zone has
    a segment at the site (the zone's way out may lie at any of them), routers' hellos
    only from the site's own segments (link-local), and only devices facing a DMZ carry
    the public's connections to it.
    """

    grouped: bool
    local: tuple[tuple[str, tuple[Net, ...]], ...] = ()
    public: bool = False
    transit: bool = False
    site: str | None = None  # of a site-scoped device


class SiteFinder:
    """The sites whose segments an address set meets (segments are disjoint: validated)."""

    def __init__(self, inv: Inventory) -> None:
        spans = sorted((net_interval(seg.subnet), seg.site) for seg in inv.segments)
        self._starts = [lo for (lo, _), _ in spans]
        self._ends = [hi for (_, hi), _ in spans]
        self._sites = [site for _, site in spans]

    def sites(self, intervals: Iterable[Interval]) -> set[str]:
        out: set[str] = set()
        for lo, hi in intervals:
            first = bisect.bisect_left(self._ends, lo)
            last = bisect.bisect_right(self._starts, hi)
            out.update(self._sites[first:last])
        return out


def by_site(
    finder: SiteFinder, ends: Iterable[tuple[Iterable[Interval], bool]]
) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
    """Positions of items every device carries (not ``inside``: an end outside the
    inventory) and, per site, of the items with an end there; in their order."""
    everywhere: list[int] = []
    sites: dict[str, list[int]] = {}
    for k, (intervals, inside) in enumerate(ends):
        if not inside:
            everywhere.append(k)
            continue
        for site in finder.sites(intervals):
            sites.setdefault(site, []).append(k)
    return tuple(everywhere), {site: tuple(ks) for site, ks in sites.items()}


def in_order(everywhere: tuple[int, ...], here: tuple[int, ...]) -> list[int]:
    return list(heapq.merge(everywhere, here))


SiteNets = tuple[tuple[str, tuple[Net, ...]], ...]


def device_scope(inv: Inventory, dev: Device, sites: dict[str, SiteNets] | None = None) -> Scope:
    """What ``dev`` carries; ``sites``: ``site_networks`` computed once for many devices."""
    grouped = driver(dev.platform).family in GROUPED_FAMILIES
    segments = inv.segments_by_id
    attached = {
        segments[i.segment].zone
        for i in dev.interfaces
        if i.address is not None and i.segment is not None
    }
    kinds = {z.id: z.kind for z in inv.zones}
    public = any(kinds[z] is ZoneKind.DMZ for z in attached)
    if dev.transit:
        return Scope(grouped=grouped, public=public, transit=True)
    local = (sites if sites is not None else site_networks(inv)).get(dev.site, ())
    return Scope(grouped=grouped, local=local, public=public, site=dev.site)


def site_networks(inv: Inventory) -> dict[str, SiteNets]:
    """Each site's subnets by zone (collapsed): the ends a site-scoped device carries."""
    by_site: dict[str, dict[str, list[Net]]] = {}
    for seg in inv.segments:
        by_site.setdefault(seg.site, {}).setdefault(seg.zone, []).append(seg.subnet)
    return {
        site: tuple(
            (z, tuple(ipaddress.collapse_addresses(nets))) for z, nets in sorted(zones.items())
        )
        for site, zones in by_site.items()
    }


def restrict(nets: tuple[Net, ...], within: tuple[Net, ...]) -> tuple[Net, ...]:
    """The part of ``nets`` inside ``within`` (both lists of disjoint prefixes)."""
    out = []
    for a in nets:
        for b in within:
            if a.subnet_of(b):
                out.append(a)
                break
            if b.subnet_of(a):
                out.append(b)
    return tuple(ipaddress.collapse_addresses(out))


@dataclass(frozen=True)
class Derived:
    """What the generators read from one inventory and profile, derived once for all the
    devices (each is a pass over the whole inventory: per device, the estate's square)."""

    entries: tuple[Entry, ...]
    inventory: tuple[Net, ...]
    groups: tuple[dict[str, Any], ...]
    sites: dict[str, SiteNets]
    everywhere: tuple[int, ...]  # entries every device carries
    at_site: dict[str, tuple[int, ...]]  # entries with an end at the site


def derive(inv: Inventory, prof: Profile) -> Derived:
    entries = tuple(policy_entries(inv, prof))
    everywhere, at_site = by_site(
        SiteFinder(inv),
        (
            (
                [net_interval(n) for n in (*(e.sources or ()), *(e.destinations or ()))],
                between_zones(e.source_zone, e.destination_zone),
            )
            for e in entries
        ),
    )
    return Derived(
        entries,
        tuple(inventory_networks(inv)),
        tuple(acl_groups(inv)),
        site_networks(inv),
        everywhere,
        at_site,
    )


def scoped_entries(derived: Derived, scope: Scope) -> list[Entry]:
    """The policy's entries as one device carries them (see ``Scope``)."""
    local = dict(scope.local)
    out: list[Entry] = []
    picked = (
        derived.entries
        if scope.site is None
        else [
            derived.entries[k]
            for k in in_order(derived.everywhere, derived.at_site.get(scope.site, ()))
        ]
    )
    for e in picked:
        if e.sources is None and not scope.public:
            continue
        src, dst = e.sources, e.destinations
        if e.source_zone == ROUTING and not scope.transit and src is not None:
            # Routers' hellos are link-local: they come from the site's own segments.
            here = restrict(src, tuple(n for _, nets in scope.local for n in nets))
            if here:
                out.append(replace(e, sources=here, source_set=None))
            continue
        if dst is None and not scope.transit and e.source_zone not in local:
            continue  # to the outside from a zone this site has no segment of
        if (
            scope.transit
            or src is None
            or dst is None
            or not between_zones(e.source_zone, e.destination_zone)
        ):
            out.append(e)
            continue
        here_src = restrict(src, local.get(e.source_zone, ()))
        here_dst = restrict(dst, local.get(e.destination_zone, ()))
        if here_src == src or here_dst == dst:
            out.append(e)  # one end lies wholly at the site: the entry as it is
            continue
        label = f"{e.label} (from and to this site)"
        if here_src:
            out.append(replace(e, label=label, sources=here_src, source_set=None))
        if here_dst:
            out.append(replace(e, label=label, destinations=here_dst, destination_set=None))
    return out


def _acl_lines(derived: Derived, scope: Scope) -> list[dict[str, Any]]:
    """Stateless first-match entries; ``any`` for the outside, behind explicit denies."""
    grouped = scope.grouped
    entries = scoped_entries(derived, scope)
    everything = derived.inventory
    lines: list[dict[str, Any]] = []

    def ends(nets: tuple[Net, ...] | None, set_: str | None) -> list[Address]:
        if nets is None:
            return [None]
        if grouped and set_ is not None:
            return [group_name(set_)]
        return list(nets)

    groups = iter(range(1, 1 << 30))  # one per cartesian product (see ``yamaha_filters``)

    def expand(e: Entry, action: str, *, reflect: bool) -> None:
        ports: list[int | None] = list(e.ports) if e.ports else [None]
        group = next(groups)
        lines.extend(
            {
                "kind": action,
                "protocol": e.protocol,
                "src": s,
                "dst": d,
                "port": p,
                "reflect": reflect,
                "log": False,
                "group": group,
            }
            for s in ends(e.sources, e.source_set)
            for d in ends(e.destinations, e.destination_set)
            for p in ports
        )

    inside = [e for e in entries if e.sources is not None and e.destinations is not None]
    public = [e for e in entries if e.sources is None]
    outbound = [e for e in entries if e.destinations is None]
    for e in inside:  # a remark, then the entries it names
        lines.append({"kind": "remark", "text": e.label})
        expand(e, "permit", reflect=True)
    lines.append({"kind": "remark", "text": "return traffic of the permitted connections"})
    lines.append({"kind": "evaluate"})
    inventory: list[Address] = [group_name("inventory")] if grouped else list(everything)
    for e in public:
        lines.append({"kind": "remark", "text": f"{e.label}: not from any zone, then the public"})
        group = next(groups)
        lines.extend(
            _deny(src, dst, group)
            for src in inventory
            for dst in ends(e.destinations, e.destination_set)
        )
        expand(e, "permit", reflect=True)
    lines.append({"kind": "remark", "text": "nothing else reaches a zone"})
    group = next(groups)
    lines.extend(_deny(None, net, group) for net in inventory)
    for e in outbound:
        lines.append({"kind": "remark", "text": e.label})
        expand(e, "permit", reflect=True)
    lines.append({"kind": "remark", "text": "default deny"})
    lines.append(_deny(None, None, next(groups)))
    return lines


def _deny(src: Address, dst: Address, group: int) -> dict[str, Any]:
    return {
        "kind": "deny",
        "protocol": "ip",
        "src": src,
        "dst": dst,
        "port": None,
        "reflect": False,
        "log": True,
        "group": group,
    }


def acl_groups(inv: Inventory) -> list[dict[str, Any]]:
    """The named groups of the grouped ACLs: every zone, and the whole inventory."""
    groups = [
        {"name": group_name(zone), "nets": nets}
        for zone, nets in zone_networks(inv).items()
        if nets
    ]
    groups.append({"name": group_name("inventory"), "nets": inventory_networks(inv)})
    return groups


GROUPED_FAMILIES = frozenset({"ios"})  # platforms with network object groups


def acl_lines(derived: Derived, scope: Scope) -> list[dict[str, Any]]:
    """A device's entries, numbered."""
    lines = _acl_lines(derived, scope)
    number = 0
    for line in lines:
        if line["kind"] in {"permit", "deny"}:
            number += 1
            line["number"] = 100000 + number  # entry numbers (YAMAHA renumbers its merged filters)
    return lines


# --- YAMAHA RTX: one filter per cartesian product ---------------------------------------

# Characters of one address or port list: three of them and the rest fit in one command
# (the RTX's limit: ``parse_acl.YAMAHA_MAX_COMMAND``, which refuses longer lines).
_YAMAHA_FIELD = (YAMAHA_MAX_COMMAND - 100) // 3
YAMAHA_PASS_ALL = 100000  # 'ip filter 100000 pass * * * * *' on 'out', ahead of the dynamics
_YAMAHA_FIRST = 100001
_YAMAHA_FIRST_DYNAMIC = 200001
# Replies tracked for a permitted entry by protocol: 'filter N' takes protocol and ports
# from static filter N and the addresses from the dynamic line itself (the addresses and
# pass/reject of filter N are ignored: rtpro.yamaha.co.jp/RT/manual/rt-common/ip/
# ip_filter_dynamic.html); an all-protocol entry is tracked for TCP, UDP and ping (the
# protocol mnemonics of the first form). OSPF to link-local multicast has no replies.
_YAMAHA_DYNAMIC: dict[str, tuple[str, ...]] = {
    "tcp": ("filter",),
    "udp": ("filter",),
    "icmp": ("ping",),
    "ip": ("tcp", "udp", "ping"),
    "ospf": (),
}


def _yamaha_addr(net: Address) -> str:
    if net is None:
        return "*"
    if isinstance(net, str):
        raise IsolationError(f"YAMAHA filters have no named groups ({net})")
    return str(net.network_address) if net.prefixlen == 32 else str(net)


def _chunks(items: list[str], width: int) -> list[str]:
    """Comma-separated lists of ``items``, each at most ``width`` characters."""
    out: list[str] = []
    for item in items:
        if out and len(out[-1]) + 1 + len(item) <= width:
            out[-1] += "," + item
        else:
            out.append(item)
    return out


def yamaha_filters(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries as RTX filters: the lines of one entry (a cartesian product of sources,
    destinations and ports, consecutive and with one action) become one filter with
    comma-separated lists, which means exactly the same packets, so that a spoke's filter
    list stays short enough for one `secure filter` command. Lists longer than a command
    allows are cut into several filters (still a cartesian product each)."""
    out: list[dict[str, Any]] = []
    number, dynamic = _YAMAHA_FIRST, _YAMAHA_FIRST_DYNAMIC
    k = 0
    while k < len(lines):
        line = lines[k]
        if line["kind"] not in {"permit", "deny"}:
            if line["kind"] == "remark":
                out.append(line)
            k += 1
            continue
        end = k
        while end < len(lines) and lines[end].get("group") == line["group"]:
            end += 1
        run = lines[k:end]
        k = end
        srcs = list(dict.fromkeys(_yamaha_addr(x["src"]) for x in run))
        dsts = list(dict.fromkeys(_yamaha_addr(x["dst"]) for x in run))
        ports = list(dict.fromkeys(str(x["port"]) for x in run if x["port"] is not None))
        # Merging is exact only for a whole product of one action and protocol (a bug else).
        seen = {
            (x["kind"], x["protocol"], x["reflect"], x["src"], x["dst"], x["port"]) for x in run
        }
        if len(seen) != len(run) or len(run) != len(srcs) * len(dsts) * max(len(ports), 1):
            raise IsolationError(f"entry '{run[0]}' is not a cartesian product")
        if len({x[:3] for x in seen}) != 1:
            raise IsolationError(f"entry '{run[0]}' mixes actions or protocols")
        for s in _chunks(srcs, _YAMAHA_FIELD):
            for d in _chunks(dsts, _YAMAHA_FIELD):
                port_lists: list[str | None] = list(_chunks(ports, _YAMAHA_FIELD)) or [None]
                for p in port_lists:
                    kinds = _YAMAHA_DYNAMIC[line["protocol"]] if line["reflect"] else ()
                    spec = [f"filter {number}" if x == "filter" else x for x in kinds]
                    out.append(
                        {
                            "kind": line["kind"],
                            "number": number,
                            "protocol": line["protocol"],
                            "src": s,
                            "dst": d,
                            "ports": p,
                            "dynamic": [
                                {"number": dynamic + i, "spec": x} for i, x in enumerate(spec)
                            ],
                        }
                    )
                    number += 1
                    dynamic += len(spec)
    if number >= _YAMAHA_FIRST_DYNAMIC:
        raise IsolationError(f"{number - _YAMAHA_FIRST} YAMAHA filters: more than numbered for")
    return out


def acl_context(
    inv: Inventory,
    prof: Profile,
    dev: Device,
    lines: list[dict[str, Any]] | None = None,
    derived: Derived | None = None,
) -> dict[str, Any]:
    derived = derived if derived is not None else derive(inv, prof)
    scope = device_scope(inv, dev, derived.sites)
    lines = lines if lines is not None else acl_lines(derived, scope)
    family = driver(dev.platform).family
    if family == "yamaha":
        filters = yamaha_filters(lines)
        return {
            "hostname": dev.hostname,
            "profile": prof.name.value,
            "lines": filters,
            "pass_all": YAMAHA_PASS_ALL,
            "interfaces": sorted(interface_zones(inv, dev)),
            "filters": [f["number"] for f in filters if "number" in f],
            "dynamic": [d["number"] for f in filters for d in f.get("dynamic", ())],
        }
    return {
        "groups": derived.groups if scope.grouped else [],
        "hostname": dev.hostname,
        "platform": str(dev.platform),
        "profile": prof.name.value,
        "acl": ACL_NAME,
        "state": STATE_NAME,
        "nec": NEC_NAMES,
        "lines": lines,
        "interfaces": sorted(interface_zones(inv, dev)),
        "filters": [line["number"] for line in lines if "number" in line],
        "dynamic": [line["number"] for line in lines if line.get("reflect")],
    }


def render_acl(
    inv: Inventory,
    prof: Profile,
    dev: Device,
    lines: list[dict[str, Any]] | None = None,
    derived: Derived | None = None,
) -> str:
    family = driver(dev.platform).family
    context = acl_context(inv, prof, dev, lines, derived)
    return environment().get_template(f"{family}/acl.j2").render(context)


def render_all(inv: Inventory, prof: Profile) -> dict[str, str]:
    """Relative path -> text: one ruleset per gateway, one ACL per border device."""
    out = {
        f"isolation/nftables/{gw.name}.nft": render_nftables(inv, prof, gw) for gw in gateways(inv)
    }
    derived = derive(inv, prof)
    lines: dict[Scope, list[dict[str, Any]]] = {}
    for dev in border_devices(inv):
        scope = device_scope(inv, dev, derived.sites)
        if scope not in lines:
            lines[scope] = acl_lines(derived, scope)
        out[f"isolation/acl/{dev.hostname}.cfg"] = render_acl(inv, prof, dev, lines[scope], derived)
    return out
