"""Pre- and post-checks: parsed show outputs compared with each other and with intent.

Cisco and YAMAHA outputs are parsed with ntc-templates; NEC IX with the project's own
TextFSM template (``templates/``). Facts are plain frozen sets so that comparing "before"
and "after" is a set difference anyone can read in the report.

Neighbours (CDP, OSPF) are compared against a *baseline*: what the predecessor saw before
the change, carried over to the replacement through its interface map, plus what the
replacement already saw. A neighbour is named by its hostname for CDP (a predecessor's
name stands for its replacement's, so a neighbour replaced meanwhile still counts) and by
its address for OSPF (the address stays when the router is replaced). The OSPF neighbour
table of NEC IX and YAMAHA is parsed with the project's own template, written for the
Cisco-style columns those platforms print; that format is not verified on hardware.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import textfsm  # type: ignore[import-untyped]  # no stubs
from netmiko import BaseConnection
from ntc_templates.parse import parse_output  # type: ignore[import-untyped]  # no stubs
from pydantic import BaseModel, ConfigDict

from ictinfra.inventory.model import Platform
from ictinfra.netmig.drivers import CDP, OSPF, net_driver
from ictinfra.netmig.errors import NetmigError
from ictinfra.netmig.sim.configtree import ConfigTree
from ictinfra.netmig.sim.platforms import PLATFORMS

TEMPLATES = Path(__file__).parent / "templates"
OWN_TEMPLATES = {
    ("nec_ix", "show ip route"): TEMPLATES / "nec_ix_show_ip_route.textfsm",
    ("nec_ix", OSPF): TEMPLATES / "ospf_neighbor_table.textfsm",
    ("yamaha", OSPF): TEMPLATES / "ospf_neighbor_table.textfsm",
}
# An OSPF neighbour counts once two-way or better (DROTHER pairs stay in 2WAY by design).
OSPF_UP = ("FULL", "2WAY")

Neighbour = tuple[str, str, str]  # (protocol, local interface, neighbour)
KINDS = {"C": "connected", "S": "static", "implicit": "connected", "static": "static"}


def parse_show(platform: str, command: str, text: str) -> list[dict[str, Any]]:
    """Structured rows of a show command's output (raises NetmigError when it does not parse)."""
    own = OWN_TEMPLATES.get((platform, command))
    if not text.strip():
        return []  # no neighbours / no entries: devices print nothing at all
    try:
        if own is not None:
            with own.open(encoding="utf-8") as handle:
                fsm = textfsm.TextFSM(handle)
                rows = fsm.ParseText(text)
            return [dict(zip((h.lower() for h in fsm.header), row, strict=True)) for row in rows]
        ntc_platform = "cisco_ios" if platform == "cisco_xe" else platform
        parsed = parse_output(platform=ntc_platform, command=command, data=text)
    except Exception as exc:  # TextFSM and ntc raise their own types and plain Exception
        raise NetmigError(f"{platform} '{command}' output does not parse: {exc}") from exc
    return list(parsed)


class Facts(BaseModel):
    """What the checks compare: routes as (prefix, kind), interfaces up, neighbours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    routes: frozenset[tuple[str, str]]
    interfaces_up: frozenset[str] = frozenset()  # up/up in the interface list (IOS)
    routed_up: frozenset[str] = frozenset()  # holding a connected route (every platform)
    neighbours: frozenset[Neighbour] = frozenset()


def _routes(rows: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    out = set()
    for r in rows:
        kind = KINDS.get(str(r.get("protocol", "")))
        if kind is None:
            continue  # local /32s and dynamic protocols are not compared
        net = str(r["network"])
        prefix = "0.0.0.0/0" if net == "default" else f"{net}/{r.get('prefix_length') or 32}"
        out.add((str(ipaddress.IPv4Network(prefix, strict=False)), kind))
    return frozenset(out)


def _interface(platform: str, name: str) -> str:
    # YAMAHA prints LAN1 where its configuration says lan1.
    return name.lower() if platform == "yamaha" else name


def _routed(platform: str, rows: list[dict[str, Any]]) -> frozenset[str]:
    """Interfaces with a connected route: up and addressed, on platforms without a port list."""
    return frozenset(
        _interface(platform, str(r["nexthop_if"]))
        for r in rows
        if KINDS.get(str(r.get("protocol", ""))) == "connected" and r.get("nexthop_if")
    )


def neighbours_of(platform: str, command: str, rows: list[dict[str, Any]]) -> set[Neighbour]:
    out: set[Neighbour] = set()
    for r in rows:
        if command == CDP:
            # CDP's device id carries the domain when one is configured.
            name = str(r["neighbor_name"]).split(".")[0]
            out.add(("cdp", _interface(platform, str(r["local_interface"])), name))
        elif command == OSPF and str(r["state"]).upper().startswith(OSPF_UP):
            out.add(("ospf", _interface(platform, str(r["interface"])), str(r["ip_address"])))
    return out


def gather(conn: BaseConnection, platform: str, timeout: float = 30.0) -> Facts:
    drv = net_driver(platform)
    text = str(conn.send_command(drv.route_command, read_timeout=timeout))
    route_rows = parse_show(platform, drv.route_command, text)
    routes = _routes(route_rows)
    up: frozenset[str] = frozenset()
    if drv.interface_command is not None:
        brief = str(conn.send_command(drv.interface_command, read_timeout=timeout))
        rows = parse_show(platform, drv.interface_command, brief)
        up = frozenset(
            _interface(platform, str(r["interface"]))
            for r in rows
            if r.get("status") == "up" and r.get("proto") == "up"
        )
    seen: set[Neighbour] = set()
    for command in drv.neighbour_commands:
        shown = str(conn.send_command(command, read_timeout=timeout))
        seen |= neighbours_of(platform, command, parse_show(platform, command, shown))
    return Facts(
        routes=routes,
        interfaces_up=up,
        routed_up=_routed(platform, route_rows),
        neighbours=frozenset(seen),
    )


def describe(n: Neighbour) -> str:
    protocol, interface, peer = n
    return f"{protocol} neighbour {peer} on {interface}"


class Baseline(BaseModel):
    """What the replacement must see after the change (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hostname: str
    successors: dict[str, str]  # predecessor hostname -> replacement hostname
    neighbours: dict[Neighbour, str]  # canonical key -> how the report names it
    interfaces_up: frozenset[str] = frozenset()
    source: str  # "predecessor and replacement", or "replacement only" (and why)

    def canonical(
        self, facts: Facts, interface_map: Mapping[str, str] | None = None
    ) -> dict[Neighbour, Neighbour]:
        """Canonical key -> the neighbour as seen; the device itself is never its neighbour."""
        imap = interface_map or {}
        out: dict[Neighbour, Neighbour] = {}
        for n in sorted(facts.neighbours):
            protocol, interface, peer = n
            if protocol == "cdp":
                peer = self.successors.get(peer, peer)
                if peer == self.hostname:
                    continue  # the predecessor and its replacement side by side
            out.setdefault((protocol, imap.get(interface, interface), peer), n)
        return out

    def lost(self, after: Facts) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(neighbours, interfaces) expected but not seen in ``after``, named for people."""
        seen = self.canonical(after)
        neighbours = tuple(
            label for key, label in sorted(self.neighbours.items()) if key not in seen
        )
        interfaces = tuple(sorted(self.interfaces_up - after.interfaces_up - after.routed_up))
        return neighbours, interfaces


def baseline(
    hostname: str,
    platform: Platform | str,
    replacement_before: Facts,
    predecessor_before: Facts | None,
    *,
    interface_map: Mapping[str, str],
    successors: Mapping[str, str],
    predecessor_platform: Platform | str | None = None,
    peer_protocols: Mapping[str, frozenset[str]] | None = None,
    reason: str = "",
) -> Baseline:
    """The replacement's expectations from both devices' pre-checks.

    ``peer_protocols``: what each neighbour speaks once replaced (by the replacement's
    hostname): a CDP neighbour whose replacement has no CDP is not expected, since it goes
    silent whenever it is cut over, in this wave or a later one.
    """
    speaks = peer_protocols or {}
    drv = net_driver(platform)
    protocols = drv.neighbour_protocols()
    draft = Baseline(hostname=hostname, successors=dict(successors), neighbours={}, source="")
    want: dict[Neighbour, str] = {}
    up = set(replacement_before.interfaces_up | replacement_before.routed_up)
    if predecessor_before is not None:
        for key, seen in draft.canonical(predecessor_before, interface_map).items():
            protocol, _, peer = key
            if protocol not in protocols:  # CDP is not expected from a platform without it
                continue
            if protocol == "cdp" and "cdp" not in speaks.get(peer, frozenset({"cdp"})):
                continue
            want[key] = describe(seen)
        old_has_brief = predecessor_platform is not None and (
            net_driver(predecessor_platform).interface_command is not None
        )
        # Only ports the inventory migrates: others stay behind with the old device. Port
        # lists are compared between platforms that both have one; routed interfaces always.
        ports = set(predecessor_before.routed_up)
        if drv.interface_command is not None and old_has_brief:
            ports |= predecessor_before.interfaces_up
        up |= {interface_map[i] for i in ports if i in interface_map}
    for key, seen in draft.canonical(replacement_before).items():
        if key[0] == "cdp" and "cdp" not in speaks.get(key[2], frozenset({"cdp"})):
            continue
        want.setdefault(key, describe(seen))
    source = (
        "predecessor and replacement"
        if predecessor_before is not None
        else f"replacement only ({reason or 'no predecessor pre-check'})"
    )
    return draft.model_copy(
        update={"neighbours": want, "interfaces_up": frozenset(up), "source": source}
    )


def expected(platform: Platform | str, config: str) -> Facts:
    """The facts a device running ``config`` should show (connected and static routes)."""
    cli = PLATFORMS[str(platform)]
    tree = ConfigTree.parse(cli.rules, config)
    routes = frozenset(
        (str(r.prefix), "connected" if r.kind == "connected" else "static")
        for r in cli.routes(tree)
        if r.kind in {"connected", "static"}
    )
    return Facts(routes=routes)


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    missing_routes: tuple[str, ...] = ()  # intended but not seen
    lost_routes: tuple[str, ...] = ()  # seen before, not intended any more, gone (informational)
    config_matches: bool = True
    lost_neighbours: tuple[str, ...] = ()  # in the baseline, not seen after the change
    lost_interfaces: tuple[str, ...] = ()  # up in the baseline, not up after the change
    baseline: str = ""  # where the neighbour expectations came from

    def problems(self) -> str:
        parts = []
        if not self.config_matches:
            parts.append("running config differs from intended")
        if self.missing_routes:
            parts.append(f"missing routes {', '.join(self.missing_routes)}")
        if self.lost_neighbours:
            parts.append(f"lost {', '.join(self.lost_neighbours)}")
        if self.lost_interfaces:
            parts.append(f"interfaces down {', '.join(self.lost_interfaces)}")
        return "; ".join(parts)


def compare(
    before: Facts,
    after: Facts,
    intended: Facts,
    *,
    config_matches: bool,
    expect: Baseline | None = None,
) -> CheckResult:
    missing = sorted(f"{p} ({k})" for p, k in intended.routes - after.routes)
    lost = sorted(f"{p} ({k})" for p, k in (before.routes - after.routes) - intended.routes)
    neighbours, interfaces = expect.lost(after) if expect is not None else ((), ())
    return CheckResult(
        ok=config_matches and not missing and not neighbours and not interfaces,
        missing_routes=tuple(missing),
        lost_routes=tuple(lost),
        config_matches=config_matches,
        lost_neighbours=neighbours,
        lost_interfaces=interfaces,
        baseline=expect.source if expect is not None else "",
    )
