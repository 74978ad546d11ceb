"""YAMAHA RTX configuration (``show config``) -> neutral model, every line accounted for."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from ictinfra.netmig.model import (
    ANY,
    Acl,
    AclEntry,
    Interface,
    NeutralDevice,
    Ospf,
    OspfNetwork,
    PortMatch,
    SnmpCommunity,
    StaticRoute,
)
from ictinfra.netmig.parsers.common import Accountant, FirstMatch, blocks, port

IP = r"\d+\.\d+\.\d+\.\d+"
IFACE = r"(lan\d+(?:/\d+)?|vlan\d+|loopback\d+|bridge\d+)"

# RTX has no administrative distance: one "ip route" line per destination lists every
# gateway, and "weight 0" marks a backup used only when no other gateway is usable. Other
# platforms express that as a floating static route, whose distance must exceed every
# dynamic protocol's (OSPF 110); 200 is the customary choice. (The inventory's distance
# wins when it names the same route: see translate.inventory_merge.)
FLOATING_DISTANCE = 200


def _gateways(text: str) -> tuple[list[tuple[ipaddress.IPv4Address, int]], str]:
    """The gateways of an ``ip route`` line as (next hop, distance), or why not supported."""
    out: list[tuple[ipaddress.IPv4Address, int]] = []
    for chunk in text.split(" gateway ")[1:]:
        words = chunk.split()
        if not re.fullmatch(IP, words[0]):
            return [], f"gateway {words[0]} (a PP/tunnel or DHCP gateway) has no equivalent"
        weight = 1
        rest = words[1:]
        if rest[:1] == ["weight"] and len(rest) >= 2 and rest[1].isdigit():
            weight = int(rest[1])
            rest = rest[2:]
        if rest:
            return [], f"route parameter '{' '.join(rest)}' is not translated"
        if weight not in {0, 1}:
            return [], f"load-sharing weight {weight} has no equivalent (only backup, weight 0)"
        out.append((ipaddress.IPv4Address(words[0]), FLOATING_DISTANCE if weight == 0 else 1))
    return out, ""


DROP: tuple[tuple[str, str], ...] = (
    (r"^(#.*|)$", "comment or separator"),
    (
        r"^(login|administrator) (password|user)\b",
        "credentials are provisioned from the inventory's secret reference",
    ),
    (r"^login timer ", "management session timer follows the replacement's baseline"),
    (r"^timezone ", "time zone is set by the replacement's baseline (JST)"),
    (r"^console (character|lines|columns|info)\b", "terminal settings of the old CLI"),
    (
        r"^(sshd|telnetd|httpd) (service|host|host key)\b",
        "management access follows the replacement's baseline",
    ),
    (r"^security class ", "CLI security class of the old device"),
    (r"^statistics ", "local statistics collection"),
    (
        r"^syslog (notice|info|debug|facility|execute command) ",
        "local log levels follow the replacement's baseline",
    ),
    (r"^snmp sysname ", "sysName is derived from the hostname on the replacement"),
    (r"^ip filter source-route on$", "source routing is refused by default on the replacement"),
    (
        r"^ip filter directed-broadcast on$",
        "directed broadcasts are refused by default on the replacement",
    ),
    (r"^ospf use on$", "OSPF is enabled by its router section on the replacement"),
    (r"^ospf area \S+$", "the area is declared by the replacement's network statements"),
    (r"^ip lan\d+ (proxyarp off|rip send off|rip receive off)$", "default of the replacement"),
)

_DROP = FirstMatch(DROP)

# The line patterns of parse_yamaha, compiled once (tried for every line of every device).
_PP_SELECT = re.compile(r"^(pp|tunnel) select (\d+)$")
_PP_SELECT_NONE = re.compile(r"^(pp|tunnel) select none$")
_PROMPT = re.compile(r"^console prompt (\S+)$")
_ADDRESS = re.compile(rf"^ip {IFACE} address ({IP}/\d+)$")
_SECONDARY = re.compile(rf"^ip {IFACE} secondary address ({IP}/\d+)$")
_DESCRIPTION = re.compile(rf"^description {IFACE} (.+)$")
_ROUTE = re.compile(rf"^ip route (default|{IP}/\d+)((?: gateway \S+(?: \S+)*?)+)$")
_DNS_SERVER = re.compile(rf"^dns server((?: {IP})+)$")
_DNS_DOMAIN = re.compile(r"^dns domain (\S+)$")
_SYSLOG = re.compile(rf"^syslog host ({IP})$")
_NTP = re.compile(rf"^(?:schedule at \d+ \S+ \S+ \* )?ntpdate ({IP})(?: syslog)?$")
_LOCATION = re.compile(r"^snmp syslocation (.+)$")
_CONTACT = re.compile(r"^snmp syscontact (.+)$")
_COMMUNITY = re.compile(r"^snmp(?:v1|v2c)? community (read-only|read-write) (\S+)$")
_ROUTER_ID = re.compile(rf"^ospf router id ({IP})$")
_OSPF_AREA = re.compile(rf"^ip {IFACE} ospf area (backbone|\d+)$")
_FILTER = re.compile(r"^ip filter (\d+) (.+)$")
_BINDING = re.compile(rf"^ip {IFACE} secure filter (in|out)((?: \d+)+)$")

ACTIONS = {
    "pass": ("permit", False),
    "pass-log": ("permit", True),
    "pass-nolog": ("permit", False),
    "reject": ("deny", False),
    "reject-log": ("deny", True),
    "reject-nolog": ("deny", False),
}


@dataclass
class _Builder:
    hostname: str = ""
    domain: str = ""
    name_servers: list[ipaddress.IPv4Address] = field(default_factory=list)
    ntp: list[ipaddress.IPv4Address] = field(default_factory=list)
    syslog: list[ipaddress.IPv4Address] = field(default_factory=list)
    location: str = ""
    contact: str = ""
    communities: list[SnmpCommunity] = field(default_factory=list)
    interfaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    routes: list[StaticRoute] = field(default_factory=list)
    router_id: ipaddress.IPv4Address | None = None
    filters: dict[int, tuple[int, str, AclEntry]] = field(default_factory=dict)  # number -> line
    bindings: list[tuple[int, str, str, str, list[int]]] = field(default_factory=list)

    def iface(self, name: str) -> dict[str, Any]:
        return self.interfaces.setdefault(name, {"name": name})


def _quoted(text: str) -> str:
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else text


def _net(spec: str) -> ipaddress.IPv4Network:
    token = spec
    if spec == "*":
        return ANY
    if re.fullmatch(rf"{IP}(/\d+)?", token):
        return ipaddress.IPv4Network(token if "/" in token else f"{token}/32", strict=False)
    raise ValueError(f"address form {token!r} (ranges and lists) not supported")


def _portspec(spec: str) -> PortMatch | None:
    token = spec
    if spec == "*":
        return None
    if "," in token:
        return PortMatch(op="eq", ports=tuple(port(t) for t in token.split(",")))
    if "-" in token and token.split("-")[0].isdigit():
        lo, hi = token.split("-")
        return PortMatch(op="range", ports=(int(lo), int(hi)))
    return PortMatch(op="eq", ports=(port(token),))


def parse_filter(words: list[str]) -> AclEntry:
    """``pass|reject[-log] SRC [DST [PROTO [SPORT [DPORT]]]]`` -> an ACL entry."""
    if words[0] not in ACTIONS:
        raise ValueError(f"filter action {words[0]!r} not supported")
    action, log = ACTIONS[words[0]]
    rest = [*words[1:], "*", "*", "*", "*", "*"][:5]
    src, dst, proto, sport, dport = rest
    if len(words) > 6:
        raise ValueError("extra filter fields")
    established = proto == "established"
    protocol = {"*": "ip", "established": "tcp"}.get(proto, proto)
    if protocol not in {"ip", "tcp", "udp", "icmp"} and not protocol.isdigit():
        raise ValueError(f"filter protocol {proto!r} not supported")
    if protocol not in {"tcp", "udp"} and (sport, dport) != ("*", "*"):
        raise ValueError("ports given for a protocol without ports")
    return AclEntry(
        action=action,
        protocol=protocol,
        source=_net(src),
        destination=_net(dst),
        source_port=_portspec(sport) if protocol in {"tcp", "udp"} else None,
        destination_port=_portspec(dport) if protocol in {"tcp", "udp"} else None,
        established=established,
        log=log,
    )


def parse_yamaha(text: str) -> tuple[NeutralDevice, Accountant]:  # noqa: PLR0912, PLR0915 - one rule per command
    b = _Builder()
    acct = Accountant()
    in_select = False
    for block in blocks(text, banner_start="\x00never"):
        n, t = block.number, block.text
        if _PP_SELECT.match(t) or in_select:
            in_select = not _PP_SELECT_NONE.match(t) and (in_select or not block.children)
            acct.unsupported(
                n, t, "PP/tunnel sections (PPPoE, IPsec) are not supported by the translator"
            )
            for cn, ct in block.children:
                acct.unsupported(cn, ct, "inside an unsupported PP/tunnel section")
            continue
        reason = _DROP(t)
        if reason is not None:
            acct.dropped(n, t, reason)
            continue
        if m := _PROMPT.match(t):
            b.hostname = _quoted(m.group(1))
            acct.translated(n, t, "hostname")
        elif m := _ADDRESS.match(t):
            b.iface(m.group(1))["primary"] = ipaddress.IPv4Interface(m.group(2))
            acct.translated(n, t, "interface_address", scope=m.group(1))
        elif m := _SECONDARY.match(t):
            iface = b.iface(m.group(1))
            iface["secondary"] = (*iface.get("secondary", ()), ipaddress.IPv4Interface(m.group(2)))
            acct.translated(n, t, "interface_secondary", scope=m.group(1))
        elif m := _DESCRIPTION.match(t):
            b.iface(m.group(1))["description"] = _quoted(m.group(2))
            acct.translated(n, t, "interface_description", scope=m.group(1))
        elif m := _ROUTE.match(t):
            prefix = ANY if m.group(1) == "default" else ipaddress.IPv4Network(m.group(1))
            gateways, why = _gateways(m.group(2))
            if why:
                acct.unsupported(n, t, why)
                continue
            b.routes.extend(
                StaticRoute(prefix=prefix, next_hop=hop, distance=dist) for hop, dist in gateways
            )
            acct.translated(n, t, "static_route")
        elif m := _DNS_SERVER.match(t):
            b.name_servers += [ipaddress.IPv4Address(a) for a in m.group(1).split()]
            acct.translated(n, t, "dns")
        elif m := _DNS_DOMAIN.match(t):
            b.domain = m.group(1)
            acct.translated(n, t, "domain")
        elif m := _SYSLOG.match(t):
            b.syslog.append(ipaddress.IPv4Address(m.group(1)))
            acct.translated(n, t, "syslog")
        elif m := _NTP.match(t):
            b.ntp.append(ipaddress.IPv4Address(m.group(1)))
            acct.translated(n, t, "ntp")
        elif m := _LOCATION.match(t):
            b.location = _quoted(m.group(1))
            acct.translated(n, t, "snmp_location")
        elif m := _CONTACT.match(t):
            b.contact = _quoted(m.group(1))
            acct.translated(n, t, "snmp_contact")
        elif m := _COMMUNITY.match(t):
            access = "ro" if m.group(1) == "read-only" else "rw"
            b.communities.append(SnmpCommunity(name=m.group(2), access=access))
            acct.translated(n, t, "snmp_community")
        elif m := _ROUTER_ID.match(t):
            b.router_id = ipaddress.IPv4Address(m.group(1))
            acct.translated(n, t, "ospf")
        elif m := _OSPF_AREA.match(t):
            b.iface(m.group(1))["ospf_area"] = 0 if m.group(2) == "backbone" else int(m.group(2))
            acct.translated(n, t, "ospf", scope=m.group(1))
        elif m := _FILTER.match(t):
            try:
                b.filters[int(m.group(1))] = (n, t, parse_filter(m.group(2).split()))
            except (ValueError, IndexError) as exc:
                acct.unsupported(n, t, f"filter not understood: {exc}")
        elif m := _BINDING.match(t):
            b.bindings.append((n, t, m.group(1), m.group(2), [int(x) for x in m.group(3).split()]))
        else:
            acct.unsupported(n, t, "no translation rule for this command")
        for cn, ct in block.children:
            acct.unsupported(cn, ct, "unexpected indented line")
    return _finish(b, acct), acct


def _finish(b: _Builder, acct: Accountant) -> NeutralDevice:
    acls: list[Acl] = []
    used: set[int] = set()
    for n, text, iface, direction, numbers in b.bindings:
        missing = [x for x in numbers if x not in b.filters]
        if missing:
            acct.unsupported(
                n, text, f"filters {missing} are not defined (or not understood)", iface
            )
            continue
        name = f"{iface}-{direction}"
        acls.append(
            Acl(name=name, kind="extended", entries=tuple(b.filters[x][2] for x in numbers))
        )
        b.iface(iface)[f"acl_{direction}"] = name
        used.update(numbers)
        acct.translated(n, text, "acl_binding", scope=iface)
    for number, (n, text, _) in b.filters.items():
        if number in used:
            acct.translated(n, text, "acl")
        else:
            acct.dropped(n, text, "filter not applied to any interface")
    interfaces: list[Interface] = []
    networks: list[OspfNetwork] = []
    for name, fields in b.interfaces.items():
        addresses = tuple(
            a for a in (fields.get("primary"), *fields.get("secondary", ())) if a is not None
        )
        interfaces.append(
            Interface(
                name=name,
                description=str(fields.get("description", "")),
                addresses=addresses,
                acl_in=fields.get("acl_in"),
                acl_out=fields.get("acl_out"),
                ospf_area=fields.get("ospf_area"),
            )
        )
        area = fields.get("ospf_area")
        if area is not None and addresses:
            networks.append(OspfNetwork(network=addresses[0].network, area=area))
    ospf = None
    if b.router_id is not None or networks:
        ospf = Ospf(process=1, router_id=b.router_id, networks=tuple(networks))
    return NeutralDevice(
        hostname=b.hostname,
        domain=b.domain,
        name_servers=tuple(b.name_servers),
        ntp_servers=tuple(b.ntp),
        syslog_hosts=tuple(b.syslog),
        snmp_location=b.location,
        snmp_contact=b.contact,
        snmp_communities=tuple(b.communities),
        interfaces=tuple(interfaces),
        static_routes=tuple(b.routes),
        ospf=ospf,
        acls=tuple(acls),
    )
