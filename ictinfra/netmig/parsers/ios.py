"""Cisco IOS / IOS-XE running configuration -> neutral model, every line accounted for."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ictinfra.netmig.model import ANY as ANY_NET
from ictinfra.netmig.model import (
    Aaa,
    AaaGroup,
    AaaLoginList,
    AaaServer,
    Acl,
    AclEntry,
    Bgp,
    BgpStatement,
    CommunityList,
    Fhrp,
    Interface,
    LocalUser,
    NeutralDevice,
    Ospf,
    OspfNetwork,
    PrefixList,
    PrefixListEntry,
    RouteMap,
    RouteMapEntry,
    SnmpCommunity,
    StaticRoute,
    Vlan,
)
from ictinfra.netmig.parsers.common import Accountant, Block, FirstMatch, blocks, port_match
from ictinfra.netmig.parsers.common import wildcard_network as wnet

IP = r"\d+\.\d+\.\d+\.\d+"

# Lines with no meaning on the replacement, each with the reason a reviewer reads.
DROP: tuple[tuple[str, str], ...] = (
    (r"^(!.*|)$", "comment or separator"),
    (r"^end$", "end of configuration"),
    (r"^Building configuration", "device output header"),
    (r"^Current configuration", "device output header"),
    (r"^version ", "software version, set by the device's image"),
    (
        r"^boot(-start-marker|-end-marker| system )",
        "boot image settings belong to the old hardware",
    ),
    (
        r"^(no )?service (timestamps|password-encryption|pad|tcp-keepalives|config|compress)",
        "IOS service defaults; the replacement's baseline applies",
    ),
    (
        r"^enable (secret|password) ",
        "credentials are provisioned from the inventory's secret reference",
    ),
    (r"^no aaa new-model$", "AAA off is the default"),
    (r"^(no )?ip (cef|subnet-zero|classless)$", "IOS default forwarding behaviour"),
    (r"^no ip domain[- ]lookup$", "name lookup of mistyped commands: a CLI default"),
    (
        r"^(memory-size|card|license|platform|diagnostic|redundancy|hw-module|ip routing$)",
        "hardware or licence specific to the old device",
    ),
    (r"^ip ssh version 2$", "SSHv2 is the replacement's only SSH version"),
    (
        r"^logging (buffered|console|monitor|trap|rate-limit)",
        "local log levels follow the replacement's baseline",
    ),
    (r"^(no )?cdp run$", "neighbour discovery follows the replacement's baseline"),
    (r"^clock timezone ", "time zone is set by the replacement's baseline (JST)"),
    (r"^control-plane$", "empty control-plane section"),
    (r"^(scheduler|ntp clock-period) ", "device-specific timing value"),
    (r"^mmi ", "device-specific MMI polling settings"),
    (
        r"^(no )?spanning-tree (mode|extend|vlan \S+ priority)",
        "spanning tree follows the replacement's baseline",
    ),
    (r"^vtp ", "VTP is not used on the replacement (VLANs are configured explicitly)"),
    (r"^ip source-route$", "source routing: insecure default, off on the replacement"),
    (r"^ip forward-protocol nd$", "IOS default printed in every configuration"),
    (r"^multilink bundle-name authenticated$", "IOS default printed in every configuration"),
)
LINE_CHILD_DROP = (
    r"^(exec-timeout|logging synchronous|login|transport (input|output)|stopbits|password"
    r"|privilege|session-timeout|length|width)\b",
    "management line settings follow the replacement's baseline",
)
INTERFACE_DROP = (
    (
        r"^(no )?(negotiation auto|media-type|mdix auto|load-interval|no keepalive|keepalive)\b",
        "physical-layer default of the old hardware",
    ),
    (
        r"^switchport trunk encapsulation dot1q$",
        "802.1Q is the only trunk encapsulation of the replacement",
    ),
    (r"^(no )?cdp enable$", "neighbour discovery follows the replacement's baseline"),
    (r"^ip route-cache", "switching path of the old IOS"),
)


# Frequent line patterns, compiled once (tried for every line of every device).
_DESCRIPTION = re.compile(r"^description (.+)$")
_IP_ADDRESS = re.compile(rf"^ip address ({IP}) ({IP})( secondary)?$")
_SWITCHPORT_MODE = re.compile(r"^switchport mode (access|trunk)$")
_ACCESS_VLAN = re.compile(r"^switchport access vlan (\d+)$")
_TRUNK_VLANS = re.compile(r"^switchport trunk allowed vlan ([\d,-]+)$")
_NATIVE_VLAN = re.compile(r"^switchport trunk native vlan (\d+)$")
_ACCESS_GROUP = re.compile(r"^ip access-group (\S+) (in|out)$")
_FHRP = re.compile(r"^(standby|vrrp) (?:(\d+) )?(.+)$")
_HOSTNAME = re.compile(r"^hostname (\S+)$")
_DOMAIN = re.compile(r"^ip domain[- ]name (\S+)$")
_NAME_SERVER = re.compile(rf"^ip name-server((?: {IP})+)$")
_NTP = re.compile(rf"^ntp server ({IP})( prefer)?$")
_LOGGING = re.compile(rf"^logging (?:host )?({IP})$")
_LOCATION = re.compile(r"^snmp-server location (.+)$")
_CONTACT = re.compile(r"^snmp-server contact (.+)$")
_COMMUNITY = re.compile(r"^snmp-server community (\S+) (RO|RW)(?: (\S+))?$")
_VLAN_NAME = re.compile(r"^name (\S+)$")
_DROP = FirstMatch(DROP)
# The literal start of every pattern of SECTION_HANDLERS (checked by a test).
SECTION_STARTS = (
    "interface ",
    "vlan ",
    "router ",
    "ip access-list ",
    "line ",
    "banner ",
    "tacacs server ",
    "radius server ",
    "aaa group server ",
    "route-map ",
)
_INTERFACE_DROP = FirstMatch(INTERFACE_DROP)


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
    banner: str = ""
    vlans: list[Vlan] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    routes: list[StaticRoute] = field(default_factory=list)
    ospf: Ospf | None = None
    acls: dict[str, Acl] = field(default_factory=dict)
    aaa_new_model: bool = False
    aaa_servers: list[AaaServer] = field(default_factory=list)
    aaa_groups: list[AaaGroup] = field(default_factory=list)
    login_lists: dict[str, AaaLoginList] = field(default_factory=dict)
    users: dict[str, LocalUser] = field(default_factory=dict)
    # Legacy "tacacs-server key" / "radius-server key": for servers without their own key.
    default_keys: dict[str, str] = field(default_factory=dict)
    prefix_lists: dict[str, PrefixList] = field(default_factory=dict)
    community_lists: dict[str, CommunityList] = field(default_factory=dict)
    route_maps: dict[str, RouteMap] = field(default_factory=dict)
    bgp: Bgp | None = None

    def aaa(self) -> Aaa | None:
        servers = tuple(
            s if s.key else s.model_copy(update={"key": self.default_keys.get(s.protocol, "")})
            for s in self.aaa_servers
        )
        aaa = Aaa(
            new_model=self.aaa_new_model,
            servers=servers,
            groups=tuple(self.aaa_groups),
            login_lists=tuple(self.login_lists.values()),
            users=tuple(self.users.values()),
        )
        return aaa if aaa != Aaa() else None

    def device(self) -> NeutralDevice:
        return NeutralDevice(
            hostname=self.hostname,
            domain=self.domain,
            name_servers=tuple(self.name_servers),
            ntp_servers=tuple(self.ntp),
            syslog_hosts=tuple(self.syslog),
            snmp_location=self.location,
            snmp_contact=self.contact,
            snmp_communities=tuple(self.communities),
            banner=self.banner,
            vlans=tuple(self.vlans),
            interfaces=tuple(self.interfaces),
            static_routes=tuple(self.routes),
            ospf=self.ospf,
            acls=tuple(self.acls.values()),
            aaa=self.aaa(),
            prefix_lists=tuple(self.prefix_lists.values()),
            community_lists=tuple(self.community_lists.values()),
            route_maps=tuple(self.route_maps.values()),
            bgp=self.bgp,
        )


def _address(spec: list[str]) -> tuple[ipaddress.IPv4Network, list[str]]:
    """An IOS address spec at the head of ``spec``: any | host A | A W. Returns the rest."""
    if spec[0] == "any":
        return ANY_NET, spec[1:]
    if spec[0] == "host":
        return ipaddress.IPv4Network(f"{spec[1]}/32"), spec[2:]
    if len(spec) > 1 and re.fullmatch(IP, spec[1]):
        return wnet(spec[0], spec[1]), spec[2:]
    return ipaddress.IPv4Network(f"{spec[0]}/32"), spec[1:]


def _ports(rest: list[str]) -> tuple[object, list[str]]:
    if rest and rest[0] in {"eq", "neq", "gt", "lt"}:
        op = rest[0]
        values = []
        rest = rest[1:]
        while (
            rest
            and rest[0] not in {"any", "host", "log", "established"}
            and not re.fullmatch(IP, rest[0])
        ):
            values.append(rest[0])
            rest = rest[1:]
            if op != "eq":
                break
        return port_match(op, values), rest
    if rest and rest[0] == "range":
        return port_match("range", rest[1:3]), rest[3:]
    return None, rest


def parse_acl_entry(words: list[str], kind: str) -> AclEntry:
    """One IOS ACL entry (without sequence number); raises ValueError on what it cannot read."""
    action, rest = words[0], words[1:]
    if action not in {"permit", "deny"}:
        raise ValueError(f"not an ACL entry: {' '.join(words)}")
    log = False
    if rest and rest[-1] in {"log", "log-input"}:
        log, rest = True, rest[:-1]
    if kind == "standard":
        source, rest = _address(rest)
        if rest:
            raise ValueError(f"unexpected {' '.join(rest)}")
        return AclEntry(action=action, source=source, log=log)
    protocol, rest = rest[0], rest[1:]
    source, rest = _address(rest)
    sport, rest = _ports(rest) if protocol in {"tcp", "udp"} else (None, rest)
    destination, rest = _address(rest)
    dport, rest = _ports(rest) if protocol in {"tcp", "udp"} else (None, rest)
    established = False
    if rest == ["established"] and protocol == "tcp":
        established, rest = True, []
    if rest:
        raise ValueError(f"unsupported ACL option {' '.join(rest)}")
    return AclEntry(
        action=action,
        protocol=protocol,
        source=source,
        source_port=sport,
        destination=destination,
        destination_port=dport,
        established=established,
        log=log,
    )


def _numbered_kind(number: int) -> str:
    return "standard" if number < 100 or 1300 <= number <= 1999 else "extended"


def parse_ios(text: str) -> tuple[NeutralDevice, Accountant]:
    b = _Builder()
    acct = Accountant()
    for block in blocks(text):
        _top(block, b, acct)
    return b.device(), acct


def _top(block: Block, b: _Builder, acct: Accountant) -> None:  # noqa: PLR0912, PLR0915 - a dispatch table in code
    n, t = block.number, block.text
    if t.startswith(SECTION_STARTS):  # most lines start no section: skip the ten patterns
        for rx, handler in SECTION_HANDLERS:
            m = rx.match(t)
            if m:
                handler(block, m, b, acct)
                return
    reason = _DROP(t)
    if reason is not None:
        acct.dropped(n, t, reason)
        _children_unsupported(block, acct, "inside a dropped section")
        return
    if block.children:
        acct.unsupported(n, t, "section not supported by the translator")
        _children_unsupported(block, acct, "inside an unsupported section")
        return
    if m := _HOSTNAME.match(t):
        b.hostname = m.group(1)
        acct.translated(n, t, "hostname")
    elif m := _DOMAIN.match(t):
        b.domain = m.group(1)
        acct.translated(n, t, "domain")
    elif m := _NAME_SERVER.match(t):
        b.name_servers += [ipaddress.IPv4Address(a) for a in m.group(1).split()]
        acct.translated(n, t, "dns")
    elif m := _NTP.match(t):
        b.ntp.append(ipaddress.IPv4Address(m.group(1)))
        acct.translated(n, t, "ntp")
    elif m := _LOGGING.match(t):
        b.syslog.append(ipaddress.IPv4Address(m.group(1)))
        acct.translated(n, t, "syslog")
    elif m := _LOCATION.match(t):
        b.location = m.group(1)
        acct.translated(n, t, "snmp_location")
    elif m := _CONTACT.match(t):
        b.contact = m.group(1)
        acct.translated(n, t, "snmp_contact")
    elif m := _COMMUNITY.match(t):
        access = "ro" if m.group(2) == "RO" else "rw"
        b.communities.append(SnmpCommunity(name=m.group(1), access=access, acl=m.group(3)))
        acct.translated(n, t, "snmp_community")
    elif m := re.match(
        rf"^ip route ({IP}) ({IP}) (\S+)(?: ({IP}))?(?: (\d+))?(?: name (\S+))?$", t
    ):
        _route(n, t, m, b, acct)
    elif m := re.match(
        rf"^ip prefix-list (\S+) seq (\d+) (permit|deny) ({IP}/\d+)(?: ge (\d+))?(?: le (\d+))?$", t
    ):
        pl_entry = PrefixListEntry(
            seq=int(m.group(2)),
            action=m.group(3),
            prefix=ipaddress.IPv4Network(m.group(4)),
            ge=int(m.group(5)) if m.group(5) else None,
            le=int(m.group(6)) if m.group(6) else None,
        )
        pl = b.prefix_lists.get(m.group(1), PrefixList(name=m.group(1), entries=()))
        b.prefix_lists[pl.name] = pl.model_copy(update={"entries": (*pl.entries, pl_entry)})
        acct.translated(n, t, "prefix_list")
    elif m := re.match(r"^ip community-list (standard|expanded) (\S+) (permit|deny) (.+)$", t):
        cl = b.community_lists.get(
            m.group(2), CommunityList(name=m.group(2), kind=m.group(1), entries=())
        )
        if cl.kind != m.group(1):
            acct.unsupported(n, t, "community list redefined with another kind")
            return
        entries = (*cl.entries, (m.group(3), m.group(4)))
        b.community_lists[cl.name] = cl.model_copy(update={"entries": entries})
        acct.translated(n, t, "community_list")
    elif t.startswith(("aaa ", "tacacs-server ", "radius-server ", "username ")):
        _aaa_line(n, t, b, acct)
    elif m := re.match(r"^access-list (\d+) (remark .*|(?:permit|deny) .*)$", t):
        number = int(m.group(1))
        if m.group(2).startswith("remark"):
            acct.dropped(n, t, "ACL remark (a comment)")
            return
        name = str(number)
        kind = _numbered_kind(number)
        try:
            entry = parse_acl_entry(m.group(2).split(), kind)
        except (ValueError, IndexError) as exc:
            acct.unsupported(n, t, f"ACL entry not understood: {exc}")
            return
        acl = b.acls.get(name, Acl(name=name, kind=kind, entries=()))
        b.acls[name] = acl.model_copy(update={"entries": (*acl.entries, entry)})
        acct.translated(n, t, "acl")
    else:
        acct.unsupported(n, t, "no translation rule for this command")


def _children_unsupported(block: Block, acct: Accountant, reason: str) -> None:
    for cn, ct in block.children:
        acct.unsupported(cn, ct, reason)


def _route(n: int, t: str, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    prefix = wnet(
        m.group(1), str(ipaddress.IPv4Address(int(ipaddress.IPv4Address(m.group(2))) ^ 0xFFFFFFFF))
    )
    target = m.group(3)
    hop: ipaddress.IPv4Address | None
    if re.fullmatch(IP, target):
        hop, iface = ipaddress.IPv4Address(target), None
        if m.group(4):
            acct.unsupported(n, t, "unexpected second next hop")
            return
    else:
        iface = target
        hop = ipaddress.IPv4Address(m.group(4)) if m.group(4) else None
    b.routes.append(
        StaticRoute(
            prefix=prefix,
            next_hop=hop,
            interface=iface,
            distance=int(m.group(5) or 1),
            name=m.group(6) or "",
        )
    )
    acct.translated(n, t, "static_route" if iface is None else "static_route_interface")


def _interface(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:  # noqa: PLR0912, PLR0915 - one rule per child command
    name = m.group(1)
    acct.translated(block.number, block.text, "interface", scope=name)
    fields: dict[str, object] = {"name": name}
    addresses: list[ipaddress.IPv4Interface] = []
    groups: dict[tuple[str, int], dict[str, object]] = {}
    for n, t in block.children:
        if _fhrp(n, t, name, groups, acct):
            continue
        reason = _INTERFACE_DROP(t)
        if reason is not None:
            acct.dropped(n, t, reason, scope=name)
            continue
        if mm := _DESCRIPTION.match(t):
            fields["description"] = mm.group(1)
            acct.translated(n, t, "interface_description", scope=name)
        elif mm := _IP_ADDRESS.match(t):
            iface = ipaddress.IPv4Interface(f"{mm.group(1)}/{mm.group(2)}")
            if mm.group(3):
                addresses.append(iface)
                acct.translated(n, t, "interface_secondary", scope=name)
            else:
                addresses.insert(0, iface)
                acct.translated(n, t, "interface_address", scope=name)
        elif t == "no ip address":
            acct.dropped(n, t, "no address is the default", scope=name)
        elif t == "shutdown":
            fields["shutdown"] = True
            acct.translated(n, t, "interface_shutdown", scope=name)
        elif t == "no shutdown":
            acct.translated(n, t, "interface_shutdown", scope=name)
        elif t == "no switchport":
            fields["switchport"] = False
            acct.translated(n, t, "switchport", scope=name)
        elif mm := _SWITCHPORT_MODE.match(t):
            fields["mode"] = mm.group(1)
            fields["switchport"] = True
            acct.translated(n, t, "switchport", scope=name)
        elif mm := _ACCESS_VLAN.match(t):
            fields["access_vlan"] = int(mm.group(1))
            fields.setdefault("mode", "access")
            acct.translated(n, t, "switchport", scope=name)
        elif mm := _TRUNK_VLANS.match(t):
            fields["trunk_vlans"] = _vlan_list(mm.group(1))
            acct.translated(n, t, "switchport", scope=name)
        elif mm := _NATIVE_VLAN.match(t):
            fields["native_vlan"] = int(mm.group(1))
            acct.translated(n, t, "switchport", scope=name)
        elif mm := re.match(
            r"^(speed) (10|100|1000|2500|5000|10000|auto)$|^(duplex) (full|half|auto)$", t
        ):
            key = mm.group(1) or mm.group(3)
            fields[key] = mm.group(2) or mm.group(4)
            acct.translated(n, t, "interface_speed", scope=name)
        elif mm := _ACCESS_GROUP.match(t):
            fields[f"acl_{mm.group(2)}"] = mm.group(1)
            acct.translated(n, t, "acl_binding", scope=name)
        else:
            acct.unsupported(n, t, f"interface command not supported (in {name})", scope=name)
    if addresses:
        fields["addresses"] = tuple(addresses)
    version = groups.pop(("hsrp-version", 0), {}).get("version")
    fields["fhrp"] = tuple(
        Fhrp.model_validate({**g, "version": version if g["protocol"] == "hsrp" else None})
        for g in groups.values()
        if "address" in g
    )
    b.interfaces.append(Interface.model_validate(fields))


def _fhrp(
    n: int, t: str, name: str, groups: dict[tuple[str, int], dict[str, object]], acct: Accountant
) -> bool:
    """HSRP (standby) and VRRP lines of an interface; False when the line is neither."""
    m = _FHRP.match(t)
    if m is None:
        return False
    protocol = "hsrp" if m.group(1) == "standby" else "vrrp"
    rest = m.group(3)
    if protocol == "hsrp" and m.group(2) is None and (v := re.fullmatch(r"version ([12])", rest)):
        groups[("hsrp-version", 0)] = {"version": int(v.group(1))}
        acct.translated(n, t, "fhrp", scope=name)
        return True
    if m.group(2) is None:
        acct.unsupported(n, t, f"{m.group(1)} option not supported (in {name})", scope=name)
        return True
    group = groups.setdefault(
        (protocol, int(m.group(2))), {"protocol": protocol, "group": int(m.group(2))}
    )
    if a := re.fullmatch(rf"ip ({IP})", rest):
        group["address"] = ipaddress.IPv4Address(a.group(1))
    elif p := re.fullmatch(r"priority (\d+)", rest):
        group["priority"] = int(p.group(1))
    elif rest == "preempt":
        group["preempt"] = True
    else:
        # Timers, tracking, authentication (a secret), secondary addresses: not carried.
        acct.unsupported(n, t, f"{m.group(1)} option not supported (in {name})", scope=name)
        return True
    acct.translated(n, t, "fhrp", scope=name)
    return True


def _vlan_list(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return tuple(out)


def _vlan(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    name = ""
    acct.translated(block.number, block.text, "vlan")
    for n, t in block.children:
        if mm := _VLAN_NAME.match(t):
            name = mm.group(1)
            acct.translated(n, t, "vlan")
        else:
            acct.unsupported(n, t, "VLAN option not supported")
    b.vlans.append(Vlan(id=int(m.group(1)), name=name))


def _ospf(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    acct.translated(block.number, block.text, "ospf")
    rid: ipaddress.IPv4Address | None = None
    nets: list[OspfNetwork] = []
    passive: list[str] = []
    redistribute: list[str] = []
    for n, t in block.children:
        if mm := re.match(rf"^router-id ({IP})$", t):
            rid = ipaddress.IPv4Address(mm.group(1))
            acct.translated(n, t, "ospf")
        elif mm := re.match(rf"^network ({IP}) ({IP}) area (\d+)$", t):
            nets.append(OspfNetwork(network=wnet(mm.group(1), mm.group(2)), area=int(mm.group(3))))
            acct.translated(n, t, "ospf")
        elif mm := re.match(r"^passive-interface (\S+)$", t):
            passive.append(mm.group(1))
            acct.translated(n, t, "ospf_passive")
        elif mm := re.match(
            r"^redistribute ((?:connected|static)(?: subnets| metric \d+| metric-type [12]"
            r"| route-map \S+| tag \d+)*)$",
            t,
        ):
            redistribute.append(mm.group(1))
            acct.translated(n, t, "ospf_redistribute")
        elif re.match(r"^(log-adjacency-changes|auto-cost reference-bandwidth)", t):
            acct.dropped(n, t, "OSPF logging/cost default of the replacement")
        else:
            acct.unsupported(n, t, "OSPF option not supported")
    b.ospf = Ospf(
        process=int(m.group(1)),
        router_id=rid,
        networks=tuple(nets),
        passive_interfaces=tuple(passive),
        redistribute=tuple(redistribute),
    )


def _named_acl(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    kind, name = m.group(1), m.group(2)
    acct.translated(block.number, block.text, "acl")
    entries: list[AclEntry] = []
    for n, t in block.children:
        words = t.split()
        if words and words[0].isdigit():
            words = words[1:]
        if words and words[0] == "remark":
            acct.dropped(n, t, "ACL remark (a comment)")
            continue
        try:
            entries.append(parse_acl_entry(words, kind))
        except (ValueError, IndexError) as exc:
            acct.unsupported(n, t, f"ACL entry not understood: {exc}")
            continue
        acct.translated(n, t, "acl")
    b.acls[name] = Acl(name=name, kind=kind, entries=tuple(entries))


def _line(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:  # noqa: ARG001 - handler shape
    acct.dropped(block.number, block.text, "management lines follow the replacement's baseline")
    rx, reason = LINE_CHILD_DROP
    for n, t in block.children:
        if re.match(rx, t):
            acct.dropped(n, t, reason)
        else:
            acct.unsupported(n, t, "line option not supported (e.g. access-class needs review)")


def _banner(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    if m.group(1) != "motd":
        acct.unsupported(block.number, block.text, f"banner {m.group(1)} not supported")
        _children_unsupported(block, acct, "inside an unsupported banner")
        return
    delim = (
        block.text.split(maxsplit=2)[2][:2]
        if "^C" in block.text
        else block.text.split(maxsplit=2)[2][:1]
    )
    first = block.text.split(maxsplit=2)[2][len(delim) :]
    lines = [first] if first and delim not in first else []
    if delim in first:
        lines = [first.split(delim)[0]]
    for _, t in block.children:
        lines.append(t.split(delim)[0] if delim in t else t)
    b.banner = "\n".join(line for line in lines if line).strip("\n")
    acct.translated(block.number, block.text, "banner")
    for n, t in block.children:
        acct.translated(n, t, "banner")


# --- AAA ----------------------------------------------------------------------------------

KEY = r"key (?:(7|6) (\S+)|(0) (\S+)|(?!\d )(\S+))"
CLEAR_KEY = (
    "a clear-text key must not travel in generated configurations: store it encrypted "
    "(type 7/6) on the old device first, or set it on the replacement by hand"
)
LOGIN_METHOD = re.compile(r"group \S+|local-case|local|enable|line|none|tacacs\+|radius")


def _key(m: re.Match[str], first: int) -> tuple[str, bool]:
    """The key as the target stores it ("7 0822..."), and whether the source had it in clear."""
    kind, value, clear_kind, _clear_value, bare = m.group(
        first, first + 1, first + 2, first + 3, first + 4
    )
    if kind:
        return f"{kind} {value}", False
    return "", bool(clear_kind or bare)


def _legacy_name(protocol: str, address: str) -> str:
    # A legacy server has no name; the modern form needs one, derived from its address.
    return f"{'TACACS' if protocol == 'tacacs+' else 'RADIUS'}-{address}"


def _aaa_line(n: int, t: str, b: _Builder, acct: Accountant) -> None:  # noqa: PLR0911 - one rule per command
    if t == "aaa new-model":
        b.aaa_new_model = True
        acct.translated(n, t, "aaa")
        return
    if m := re.match(r"^aaa authentication login (\S+) (.+)$", t):
        words = m.group(2)
        methods = LOGIN_METHOD.findall(words)
        if " ".join(methods) != words.strip():
            acct.unsupported(n, t, "login method list not understood")
            return
        # "tacacs+" / "radius" without "group" is the old spelling of the same thing.
        methods = [f"group {w}" if w in {"tacacs+", "radius"} else w for w in methods]
        b.login_lists[m.group(1)] = AaaLoginList(name=m.group(1), methods=tuple(methods))
        acct.translated(n, t, "aaa")
        return
    if m := re.match(
        rf"^(tacacs|radius)-server host ({IP})((?: (?:auth|acct)-port \d+)*)(?: {KEY})?$", t
    ):
        protocol = "tacacs+" if m.group(1) == "tacacs" else "radius"
        key, clear = _key(m, 4)
        if clear:
            acct.unsupported(n, t, CLEAR_KEY)
            return
        ports = dict(re.findall(r"(auth|acct)-port (\d+)", m.group(3)))
        if ports and protocol != "radius":
            acct.unsupported(n, t, "TACACS+ server option not supported")
            return
        b.aaa_servers.append(
            AaaServer(
                protocol=protocol,
                name=_legacy_name(protocol, m.group(2)),
                address=ipaddress.IPv4Address(m.group(2)),
                key=key,
                auth_port=int(ports["auth"]) if "auth" in ports else None,
                acct_port=int(ports["acct"]) if "acct" in ports else None,
            )
        )
        acct.translated(n, t, "aaa_server")
        return
    if m := re.match(rf"^(tacacs|radius)-server {KEY}$", t):
        key, clear = _key(m, 2)
        if clear:
            acct.unsupported(n, t, CLEAR_KEY)
            return
        b.default_keys["tacacs+" if m.group(1) == "tacacs" else "radius"] = key
        acct.translated(n, t, "aaa_server")
        return
    if m := re.match(r"^username (\S+)(?: privilege (\d+))? secret ([589]) (\S+)$", t):
        b.users[m.group(1)] = LocalUser(
            name=m.group(1),
            privilege=int(m.group(2)) if m.group(2) else None,
            secret_type=int(m.group(3)),
            secret=m.group(4),
        )
        acct.translated(n, t, "aaa_user")
        return
    if re.match(r"^username \S+ .*\bpassword\b", t):
        acct.unsupported(
            n,
            t,
            "a reversible password (type 0/7) is not carried over: give the account a secret "
            "(type 8/9) on the old device, or provision it from the inventory's secret reference",
        )
        return
    if t.startswith("aaa "):
        acct.unsupported(n, t, "AAA command not translated (only new-model, login lists, servers)")
        return
    acct.unsupported(n, t, "no translation rule for this command")


def _aaa_server(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    protocol = "tacacs+" if m.group(1) == "tacacs" else "radius"
    name = m.group(2)
    fields: dict[str, object] = {"protocol": protocol, "name": name}
    lines = [(block.number, block.text)]
    ok = True
    for n, t in block.children:
        if mm := re.match(rf"^address ipv4 ({IP})((?: (?:auth|acct)-port \d+)*)$", t):
            fields["address"] = ipaddress.IPv4Address(mm.group(1))
            for kind, number in re.findall(r"(auth|acct)-port (\d+)", mm.group(2)):
                fields[f"{kind}_port"] = int(number)
            lines.append((n, t))
        elif mm := re.match(rf"^{KEY}$", t):
            key, clear = _key(mm, 1)
            if clear:
                acct.unsupported(n, t, CLEAR_KEY, scope=name)
                ok = False
                continue
            fields["key"] = key
            lines.append((n, t))
        else:
            acct.unsupported(n, t, f"{m.group(1)} server option not supported", scope=name)
            ok = False
    if "address" not in fields:
        acct.unsupported(block.number, block.text, "server without an IPv4 address")
        return
    if ok:
        b.aaa_servers.append(AaaServer.model_validate(fields))
    for n, t in lines:
        acct.translated(n, t, "aaa_server", scope=name)


def _aaa_group(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    protocol = m.group(1)
    names: list[str] = []
    acct.translated(block.number, block.text, "aaa_server")
    for n, t in block.children:
        if mm := re.match(r"^server name (\S+)$", t):
            names.append(mm.group(1))
            acct.translated(n, t, "aaa_server")
        elif mm := re.match(rf"^server ({IP})$", t):
            names.append(_legacy_name(protocol, mm.group(1)))  # a legacy server, by address
            acct.translated(n, t, "aaa_server")
        else:
            acct.unsupported(n, t, "server group option not supported")
    b.aaa_groups.append(AaaGroup(protocol=protocol, name=m.group(2), servers=tuple(names)))


# --- routing policy -----------------------------------------------------------------------

# Route-map lines carried as written (IOS and IOS-XE share them). Anything naming an
# interface, or a clause not listed here, is reported instead of guessed at.
ROUTE_MAP_LINES = (
    r"^match ip address (?:prefix-list )?\S+(?: \S+)*$",
    r"^match community \S+(?: exact-match)?$",
    r"^match tag \d+(?: \d+)*$",
    r"^set metric \d+$",
    r"^set local-preference \d+$",
    r"^set tag \d+$",
    rf"^set ip next-hop {IP}(?: {IP})*$",
    r"^set community (?:\d+:\d+ ?|no-export ?|no-advertise ?|internet ?|local-AS ?)+"
    r"(?: additive)?$",
    r"^set origin (?:igp|incomplete)$",
)
_ROUTE_MAP_LINE = FirstMatch([(rx, True) for rx in ROUTE_MAP_LINES])


def _route_map(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    name = m.group(1)
    matches: list[str] = []
    sets: list[str] = []
    acct.translated(block.number, block.text, "route_map", scope=name)
    for n, t in block.children:
        if re.match(r"^description ", t):
            acct.dropped(n, t, "route-map description (a comment)", scope=name)
        elif _ROUTE_MAP_LINE(t):
            (matches if t.startswith("match ") else sets).append(t)
            acct.translated(n, t, "route_map", scope=name)
        else:
            acct.unsupported(n, t, "route-map clause not supported", scope=name)
    entry = RouteMapEntry(
        action=m.group(2), seq=int(m.group(3)), matches=tuple(matches), sets=tuple(sets)
    )
    rm = b.route_maps.get(name, RouteMap(name=name, entries=()))
    b.route_maps[name] = rm.model_copy(update={"entries": (*rm.entries, entry)})


# --- BGP ----------------------------------------------------------------------------------

NEIGHBOR_OPTIONS = (
    r"remote-as \d+|peer-group(?: \S+)?|description .+|send-community(?: both| extended| standard)?"
    r"|route-map \S+ (?:in|out)|prefix-list \S+ (?:in|out)|next-hop-self|activate"
    r"|soft-reconfiguration inbound|ebgp-multihop(?: \d+)?|maximum-prefix \d+"
    r"|route-reflector-client"
    r"|advertise additional-paths (?:all|best \d+|group-best)(?: (?:all|best \d+|group-best))*"
)
# The statements carried to IOS-XE as written; anything else (a neighbour password, VRFs,
# other address families, ...) is reported instead.
BGP_LINES = (
    rf"^bgp router-id {IP}$",
    r"^bgp log-neighbor-changes$",
    r"^no bgp default ipv4-unicast$",
    r"^bgp dampening$",
    r"^bgp additional-paths "
    r"(?:select (?:all|best \d+|group-best)(?: \S+)*|send(?: receive)?|receive)$",
    rf"^neighbor \S+ (?:{NEIGHBOR_OPTIONS})$",
    rf"^network {IP}(?: mask {IP})?(?: route-map \S+)?$",
    rf"^aggregate-address {IP} {IP}(?: summary-only| as-set)*$",
    r"^redistribute (?:connected|static)(?: route-map \S+)?$",
    r"^maximum-paths(?: eibgp| ibgp)? \d+$",
    r"^timers bgp \d+ \d+$",
)
_BGP_LINE = FirstMatch([(rx, True) for rx in BGP_LINES])


def _bgp(block: Block, m: re.Match[str], b: _Builder, acct: Accountant) -> None:
    acct.translated(block.number, block.text, "bgp")
    statements: list[BgpStatement] = []
    ipv4: list[BgpStatement] | None = None
    header = "address-family ipv4"
    in_family = False
    other_family = False
    for n, t in block.children:
        if t == "!":
            acct.dropped(n, t, "comment or separator")
            continue
        if af := re.match(r"^address-family (.+)$", t):
            in_family = True
            other_family = af.group(1) not in {"ipv4", "ipv4 unicast"}
            if other_family:
                acct.unsupported(n, t, "only the IPv4 unicast address family is translated")
                continue
            header, ipv4 = t, ipv4 or []
            acct.translated(n, t, "bgp")
            continue
        if t == "exit-address-family":
            in_family = False
            if other_family:
                acct.unsupported(n, t, "inside an address family that is not translated")
            else:
                acct.translated(n, t, "bgp")
            continue
        if other_family and in_family:
            acct.unsupported(n, t, "inside an address family that is not translated")
            continue
        source = re.match(r"^neighbor \S+ update-source (\S+)$", t)
        if not source and not _BGP_LINE(t):
            acct.unsupported(n, t, "BGP statement not supported")
            continue
        statement = BgpStatement(text=t, interface=source.group(1) if source else None)
        (ipv4 if in_family and ipv4 is not None else statements).append(statement)
        acct.translated(n, t, "bgp", scope=source.group(1) if source else "")
    b.bgp = Bgp(
        asn=int(m.group(1)),
        statements=tuple(statements),
        ipv4=tuple(ipv4) if ipv4 is not None else None,
        ipv4_header=header,
    )


# Section handlers of _top, in order; every line they match starts with SECTION_STARTS
# (tests/netmig/test_parser_fast.py checks it on a sample line of each).
SECTION_HANDLERS: tuple[
    tuple[re.Pattern[str], Callable[[Block, re.Match[str], _Builder, Accountant], None]], ...
] = tuple(
    (re.compile(rx), handler)
    for rx, handler in (
        (r"^interface (\S+)$", _interface),
        (r"^vlan (\d+)$", _vlan),
        (r"^router ospf (\d+)$", _ospf),
        (r"^ip access-list (standard|extended) (\S+)$", _named_acl),
        (r"^line ", _line),
        (r"^banner (motd|login|exec) ", _banner),
        (r"^(tacacs|radius) server (\S+)$", _aaa_server),
        (r"^aaa group server (tacacs\+|radius) (\S+)$", _aaa_group),
        (r"^route-map (\S+) (permit|deny) (\d+)$", _route_map),
        (r"^router bgp (\d+)$", _bgp),
    )
)
