"""Pre- and post-checks: parsed show outputs compared with each other and with intent.

Cisco and YAMAHA outputs are parsed with ntc-templates; NEC IX with the project's own
TextFSM template (``templates/``). Facts are plain frozen sets so that comparing "before"
and "after" is a set difference anyone can read in the report.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import textfsm  # type: ignore[import-untyped]  # no stubs
from netmiko import BaseConnection
from ntc_templates.parse import parse_output  # type: ignore[import-untyped]  # no stubs
from pydantic import BaseModel, ConfigDict

from ictinfra.inventory.model import Platform
from ictinfra.netmig.drivers import net_driver
from ictinfra.netmig.errors import NetmigError
from ictinfra.netmig.sim.configtree import ConfigTree
from ictinfra.netmig.sim.platforms import PLATFORMS

TEMPLATES = Path(__file__).parent / "templates"
OWN_TEMPLATES = {("nec_ix", "show ip route"): TEMPLATES / "nec_ix_show_ip_route.textfsm"}
KINDS = {"C": "connected", "S": "static", "implicit": "connected", "static": "static"}


def parse_show(platform: str, command: str, text: str) -> list[dict[str, Any]]:
    """Structured rows of a show command's output (raises NetmigError when it does not parse)."""
    own = OWN_TEMPLATES.get((platform, command))
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
    """What the checks compare: routes as (prefix, kind), interfaces that are up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    routes: frozenset[tuple[str, str]]
    interfaces_up: frozenset[str] = frozenset()


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


def gather(conn: BaseConnection, platform: str, timeout: float = 30.0) -> Facts:
    drv = net_driver(platform)
    text = str(conn.send_command(drv.route_command, read_timeout=timeout))
    routes = _routes(parse_show(platform, drv.route_command, text))
    up: frozenset[str] = frozenset()
    if drv.interface_command is not None:
        brief = str(conn.send_command(drv.interface_command, read_timeout=timeout))
        rows = parse_show(platform, drv.interface_command, brief)
        up = frozenset(
            str(r["interface"]) for r in rows if r.get("status") == "up" and r.get("proto") == "up"
        )
    return Facts(routes=routes, interfaces_up=up)


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


def compare(before: Facts, after: Facts, intended: Facts, *, config_matches: bool) -> CheckResult:
    missing = sorted(f"{p} ({k})" for p, k in intended.routes - after.routes)
    lost = sorted(f"{p} ({k})" for p, k in (before.routes - after.routes) - intended.routes)
    return CheckResult(
        ok=config_matches and not missing,
        missing_routes=tuple(missing),
        lost_routes=tuple(lost),
        config_matches=config_matches,
    )
