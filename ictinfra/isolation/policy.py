"""The three-tier model (三層の対策) as code: rules over zone kinds and sanctioned paths.

A *profile* is data: rules, each governing some pairs of zone kinds and permitting, per
direction, some sanctioned paths, optionally only with a platform component at one end.
A flow between two zones is checked against the rule governing the pair of their kinds;
a pair no rule governs is denied (default deny). The alpha model (2017 plan) is the default;
the beta-prime model (2020 revision of the guideline) is the alternative profile.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ictinfra.inventory.errors import Problem
from ictinfra.inventory.loader import Where, read_sections
from ictinfra.inventory.model import Component, Flow, Inventory, SanctionedPath, ZoneKind
from ictinfra.isolation.space import (
    ICMP,
    MAX_PORT,
    MAX_PROTO,
    PROTO_NAMES,
    Box,
    Interval,
    boxes,
    complement,
    merge,
    net_interval,
)

K = ZoneKind
P = SanctionedPath


class ProfileName(StrEnum):
    ALPHA = "alpha"  # alpha model: the 2017 plan, LGWAN zone cut off from the internet
    BETA_PRIME = "beta_prime"  # beta-prime model: the 2020 revision, more work in the internet zone


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Permit(_Frozen):
    """One direction of a pair, through one sanctioned path, maybe needing a component."""

    source: ZoneKind
    destination: ZoneKind
    via: SanctionedPath
    end: Literal["source", "destination", "either"] | None = None
    components: frozenset[Component] = frozenset()


class Rule(_Frozen):
    id: str
    text: str
    governs: frozenset[tuple[ZoneKind, ZoneKind]]
    permits: tuple[Permit, ...] = ()


class Profile(_Frozen):
    name: ProfileName
    title: str
    rules: tuple[Rule, ...]
    # Zone kinds that may exchange traffic with addresses outside every zone of the
    # inventory (the internet through the security cloud, the national LGWAN), and the
    # services the public may open towards the DMZ.
    outbound_kinds: frozenset[ZoneKind]
    public_services: tuple[tuple[str, int], ...]

    def rule_for(self, src: ZoneKind, dst: ZoneKind) -> Rule | None:
        for rule in self.rules:
            if (src, dst) in rule.governs:
                return rule
        return None


def _both(a: ZoneKind, b: ZoneKind) -> frozenset[tuple[ZoneKind, ZoneKind]]:
    return frozenset({(a, b), (b, a)})


_SHARED = frozenset({Component.NTP, Component.LOG, Component.DNS})
_TIERS = (K.MYNUMBER, K.LGWAN, K.INTERNET, K.DMZ)


def _common_rules(lgwan_internet: Rule, lgwan_dmz: Rule) -> tuple[Rule, ...]:
    return (
        Rule(
            id="wan-carries-only",
            text="the administrative WAN carries the other zones and hosts nothing: "
            "no flow starts or ends in it",
            governs=frozenset(
                {(K.WAN, k) for k in ZoneKind if k is not K.WAN}
                | {(k, K.WAN) for k in ZoneKind if k is not K.WAN}
            ),
        ),
        Rule(
            id="mynumber-never-internet",
            text="the My Number zone never communicates with the internet zone or the DMZ, "
            "whatever the path",
            governs=_both(K.MYNUMBER, K.INTERNET) | _both(K.MYNUMBER, K.DMZ),
        ),
        Rule(
            id="mynumber-isolated",
            text="the My Number zone exchanges with the LGWAN zone only files leaving it "
            "through the sanitising transfer",
            governs=_both(K.MYNUMBER, K.LGWAN),
            permits=(
                Permit(
                    source=K.MYNUMBER,
                    destination=K.LGWAN,
                    via=P.FILE_SANITISER,
                    end="either",
                    components=frozenset({Component.FILE_TRANSFER}),
                ),
            ),
        ),
        lgwan_internet,
        lgwan_dmz,
        Rule(
            id="internet-dmz",
            text="the internet zone and the DMZ may talk directly",
            governs=_both(K.INTERNET, K.DMZ),
            permits=(
                Permit(source=K.INTERNET, destination=K.DMZ, via=P.DIRECT),
                Permit(source=K.DMZ, destination=K.INTERNET, via=P.DIRECT),
            ),
        ),
        Rule(
            id="maintenance-through-bastion",
            text="the management zone reaches the other zones only by remote maintenance "
            "from the bastion",
            governs=frozenset({(K.MANAGEMENT, k) for k in _TIERS}),
            permits=tuple(
                Permit(
                    source=K.MANAGEMENT,
                    destination=k,
                    via=P.MAINTENANCE,
                    end="source",
                    components=frozenset({Component.BASTION}),
                )
                for k in _TIERS
            ),
        ),
        Rule(
            id="management-shared-services",
            text="the other zones reach the management zone only for its shared services "
            "(time, logs, names), directly",
            governs=frozenset({(k, K.MANAGEMENT) for k in _TIERS}),
            permits=tuple(
                Permit(
                    source=k,
                    destination=K.MANAGEMENT,
                    via=P.DIRECT,
                    end="destination",
                    components=_SHARED,
                )
                for k in _TIERS
            ),
        ),
    )


def _screen(src: ZoneKind, dst: ZoneKind, hosts: frozenset[Component] | None = None) -> Permit:
    return Permit(
        source=src,
        destination=dst,
        via=P.SCREEN_TRANSFER,
        end="destination",
        components=frozenset({Component.VIRTUAL_BROWSER}) if hosts is None else hosts,
    )


def _sanitised(src: ZoneKind, dst: ZoneKind) -> tuple[Permit, ...]:
    return (
        Permit(
            source=src,
            destination=dst,
            via=P.FILE_SANITISER,
            end="either",
            components=frozenset({Component.FILE_TRANSFER}),
        ),
        Permit(
            source=src,
            destination=dst,
            via=P.MAIL_SANITISER,
            end="either",
            components=frozenset({Component.MAIL_GATEWAY}),
        ),
    )


ALPHA = Profile(
    name=ProfileName.ALPHA,
    title="alpha model (2017 plan): the LGWAN zone never reaches the internet; web by screen "
    "transfer, files and mail only after sanitisation",
    rules=_common_rules(
        Rule(
            id="lgwan-internet-sanitised",
            text="between the LGWAN zone and the internet zone only sanctioned, harmless "
            "paths (無害化通信): screen transfer from LGWAN to a virtual browser, files "
            "through the sanitising transfer, mail through the mail sanitiser; nothing "
            "initiated from the internet zone except files and mail",
            governs=_both(K.LGWAN, K.INTERNET),
            permits=(
                _screen(K.LGWAN, K.INTERNET),
                *_sanitised(K.LGWAN, K.INTERNET),
                *_sanitised(K.INTERNET, K.LGWAN),
            ),
        ),
        Rule(
            id="lgwan-dmz-closed",
            text="the DMZ faces the internet: nothing crosses between it and the LGWAN zone "
            "in the alpha model (screen transfer into the LGWAN zone is not a sanctioned path)",
            governs=_both(K.LGWAN, K.DMZ),
        ),
    ),
    outbound_kinds=frozenset({K.INTERNET, K.DMZ}),
    public_services=(("tcp", 80), ("tcp", 443)),
)

BETA_PRIME = Profile(
    name=ProfileName.BETA_PRIME,
    title="beta-prime model (2020 revision): staff work moves to the internet zone and reach "
    "LGWAN systems by screen transfer; telework by screen transfer from the DMZ",
    rules=_common_rules(
        Rule(
            id="lgwan-internet-sanitised",
            text="between the LGWAN zone and the internet zone only sanctioned, harmless "
            "paths: screen transfer both ways to a screen-transfer host, files through "
            "the sanitising transfer, mail through the mail sanitiser",
            governs=_both(K.LGWAN, K.INTERNET),
            permits=(
                _screen(K.LGWAN, K.INTERNET),
                _screen(K.INTERNET, K.LGWAN, frozenset()),
                *_sanitised(K.LGWAN, K.INTERNET),
                *_sanitised(K.INTERNET, K.LGWAN),
            ),
        ),
        Rule(
            id="lgwan-dmz-telework",
            text="from the DMZ into the LGWAN zone only screen transfer for telework "
            "(remote access gateway); nothing from the LGWAN zone into the DMZ",
            governs=_both(K.LGWAN, K.DMZ),
            permits=(_screen(K.DMZ, K.LGWAN, frozenset()),),
        ),
    ),
    outbound_kinds=frozenset({K.INTERNET, K.DMZ}),
    public_services=(("tcp", 80), ("tcp", 443)),
)

PROFILES: dict[ProfileName, Profile] = {ALPHA.name: ALPHA, BETA_PRIME.name: BETA_PRIME}
DEFAULT_RULE = "default-deny"


def profile(name: str | ProfileName = ProfileName.ALPHA) -> Profile:
    try:
        return PROFILES[ProfileName(name)]
    except ValueError as exc:
        known = ", ".join(p.value for p in ProfileName)
        raise ValueError(f"unknown policy profile {name!r} (known: {known})") from exc


# --- checking flows -------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    flow: str
    rule: str
    message: str


def _end_components(inv: Inventory, flow: Flow, end: str) -> set[Component]:
    ids = {
        "source": [flow.source_system],
        "destination": [flow.destination_system],
        "either": [flow.source_system, flow.destination_system],
    }[end]
    out: set[Component] = set()
    for sid in ids:
        system = inv.systems_by_id.get(sid) if sid else None
        if system is not None and system.component is not None:
            out.add(system.component)
    return out


def check_flow(inv: Inventory, prof: Profile, flow: Flow) -> Violation | None:  # noqa: PLR0911 - one verdict per reason
    """The rule a flow breaks, or None when the model permits it."""
    zones = inv.zones_by_id
    src, dst = zones[flow.source_zone].kind, zones[flow.destination_zone].kind
    if src is dst:
        return None  # same tier, two zones: not a crossing of the model
    rule = prof.rule_for(src, dst)
    if rule is None:
        return Violation(
            flow.id,
            DEFAULT_RULE,
            f"no rule of the {prof.name.value} model permits a flow from a {src} zone "
            f"to a {dst} zone",
        )
    permits = [p for p in rule.permits if p.source is src and p.destination is dst]
    if not permits:
        return Violation(flow.id, rule.id, f"{src} → {dst} is closed: {rule.text}")
    matching = [p for p in permits if p.via is flow.via]
    if not matching:
        allowed = ", ".join(sorted({p.via.value for p in permits}))
        return Violation(
            flow.id,
            rule.id,
            f"{src} → {dst} via {flow.via} is not sanctioned (allowed: {allowed}): {rule.text}",
        )
    for permit in matching:
        if permit.end is None or not permit.components:
            return None
        if _end_components(inv, flow, permit.end) & permit.components:
            return None
    permit = matching[0]
    need = " or ".join(sorted(c.value for c in permit.components))
    end = {"either": "either end", "source": "the source", "destination": "the destination"}
    return Violation(
        flow.id,
        rule.id,
        f"{src} → {dst} via {flow.via} must have a {need} system at "
        f"{end[permit.end or 'either']}: {rule.text}",
    )


def check_flows(inv: Inventory, prof: Profile) -> list[Violation]:
    out = [v for f in inv.flows if (v := check_flow(inv, prof, f)) is not None]
    # A screen-transfer path must end at a named system: a whole zone is not a host.
    out.extend(
        Violation(
            f.id,
            "screen-transfer-host",
            "a screen transfer must name its destination system (a screen-transfer host), "
            "not a whole zone",
        )
        for f in inv.flows
        if f.via is P.SCREEN_TRANSFER
        and f.destination_system is None
        and all(v.flow != f.id for v in out)
    )
    return out


def flow_locations(inventory_dir: Path) -> dict[str, Where]:
    """Where each flow sits in the inventory files, read the way the loader reads them."""
    located = read_sections(inventory_dir)
    return {flow.id: where for flow, where in located.items("flows")}


def check_inventory(
    inv: Inventory, inventory_dir: Path | None, prof: Profile = ALPHA
) -> list[Problem]:
    """Every flow breaking the model, as ``file:line: flow F breaks rule R: why``."""
    wheres = flow_locations(inventory_dir) if inventory_dir is not None else {}
    problems = []
    for v in check_flows(inv, prof):
        where = wheres.get(v.flow)
        file = where.file if where else "flows"
        line = where.line() if where else None
        problems.append(Problem(file, line, f"flow '{v.flow}' breaks rule {v.rule}: {v.message}"))
    return sorted(problems, key=Problem.sort_key)


# --- the address space the policy allows ----------------------------------------------

OUTSIDE = "outside"  # every address in no zone of the inventory
ROUTING = "routing"  # label of the routers' own control traffic (any zone's addresses)


def between_zones(source_zone: str, destination_zone: str) -> bool:
    """Both ends in zones of the inventory (not the outside, not routing): what a
    site-scoped device carries only its part of (generator and verifier alike)."""
    return source_zone not in {OUTSIDE, ROUTING} and destination_zone != OUTSIDE


LINK_LOCAL_MULTICAST = ipaddress.IPv4Network("224.0.0.0/24")
OSPF = 89


@dataclass(frozen=True)
class AllowedPath:
    """A path the policy allows: a label, its zones and the header space it covers."""

    label: str  # "flow lgwan-to-vb-screen", "intra-zone lgwan", "outside ..."
    source_zone: str
    destination_zone: str
    boxes: tuple[Box, ...]


def zone_intervals(inv: Inventory) -> dict[str, list[Interval]]:
    out: dict[str, list[Interval]] = {z.id: [] for z in inv.zones}
    for seg in inv.segments:
        out[seg.zone].append(net_interval(seg.subnet))
    return {z: merge(v) for z, v in out.items()}


def zone_networks(inv: Inventory) -> dict[str, list[ipaddress.IPv4Network]]:
    """Each zone's subnets, collapsed (what the generators write)."""
    out: dict[str, list[ipaddress.IPv4Network]] = {z.id: [] for z in inv.zones}
    for seg in inv.segments:
        out[seg.zone].append(seg.subnet)
    return {z: list(ipaddress.collapse_addresses(v)) for z, v in out.items()}


def endpoint_networks(
    inv: Inventory,
    zone: str,
    system: str | None,
    nets: dict[str, list[ipaddress.IPv4Network]] | None = None,
) -> list[ipaddress.IPv4Network]:
    """A flow end: the system's servers in that zone, or the whole zone."""
    if system is None:
        return (nets if nets is not None else zone_networks(inv))[zone]
    hosts = [
        ipaddress.IPv4Network(s.address)
        for s in inv.systems_by_id[system].servers
        if inv.segments_by_id[s.segment].zone == zone
    ]
    return list(ipaddress.collapse_addresses(hosts))


def _service_space(proto: str, port: int | None) -> tuple[list[Interval], list[Interval]]:
    num = PROTO_NAMES[proto]
    if num == ICMP or port is None:
        return [(num, num)], [(0, 0)]
    return [(num, num)], [(port, port)]


def permitted_flows(inv: Inventory, prof: Profile) -> tuple[Flow, ...]:
    """The inventory's flows the model permits; the others stay closed (fail closed)."""
    bad = {v.flow for v in check_flows(inv, prof)}
    return tuple(f for f in inv.flows if f.id not in bad)


def allowed_paths(inv: Inventory, prof: Profile) -> list[AllowedPath]:
    """Everything the policy allows: permitted flows, traffic inside a zone, the outside."""
    out: list[AllowedPath] = []
    nets = zone_networks(inv)
    for flow in permitted_flows(inv, prof):
        src = [
            net_interval(n)
            for n in endpoint_networks(inv, flow.source_zone, flow.source_system, nets)
        ]
        dst = [
            net_interval(n)
            for n in endpoint_networks(inv, flow.destination_zone, flow.destination_system, nets)
        ]
        bx: list[Box] = []
        for svc in flow.services:
            protos, ports = _service_space(str(svc.protocol), svc.port)
            bx.extend(boxes(src, dst, protos, ports))
        out.append(
            AllowedPath(f"flow {flow.id}", flow.source_zone, flow.destination_zone, tuple(bx))
        )
    zones = zone_intervals(inv)
    everything = [(0, MAX_PROTO)], [(0, MAX_PORT)]
    for zone, iv in zones.items():
        if iv:
            out.append(
                AllowedPath(f"intra-zone {zone}", zone, zone, tuple(boxes(iv, iv, *everything)))
            )
    inside = [i for v in zones.values() for i in v]
    outside = complement(inside)
    out.append(
        AllowedPath(
            "routing (OSPF, link-local multicast)",
            ROUTING,
            OUTSIDE,
            tuple(
                boxes(
                    merge(inside),
                    [net_interval(LINK_LOCAL_MULTICAST)],
                    [(OSPF, OSPF)],
                    [(0, MAX_PORT)],
                )
            ),
        )
    )
    for z in inv.zones:
        if z.kind in prof.outbound_kinds and zones[z.id]:
            out.append(
                AllowedPath(
                    f"outside from {z.id}",
                    z.id,
                    OUTSIDE,
                    tuple(boxes(zones[z.id], outside, *everything)),
                )
            )
        if z.kind is K.DMZ and zones[z.id]:
            bx = []
            for proto, port in prof.public_services:
                bx.extend(boxes(outside, zones[z.id], *_service_space(proto, port)))
            out.append(AllowedPath(f"public to {z.id}", OUTSIDE, z.id, tuple(bx)))
    return out


def zone_kinds(inv: Inventory) -> dict[str, str]:
    return {z.id: z.kind.value for z in inv.zones} | {OUTSIDE: OUTSIDE}


def describe_profiles() -> Iterable[tuple[str, str, str]]:
    """(profile, rule, text) for documentation and the report."""
    for prof in PROFILES.values():
        for rule in prof.rules:
            yield prof.name.value, rule.id, rule.text
