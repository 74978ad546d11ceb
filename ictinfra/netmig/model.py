"""The neutral device model between a parsed old configuration and the rendered new one.

Frozen pydantic models: parsers build them, the merge with the inventory and the renderer
return new objects and never change the ones they are given. Every source line the
parser saw is in ``Translation.accounting`` with what became of it.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

ANY = ipaddress.IPv4Network("0.0.0.0/0")


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PortMatch(Model):
    op: Literal["eq", "neq", "gt", "lt", "range"]
    ports: tuple[int, ...]


class AclEntry(Model):
    action: Literal["permit", "deny"]
    protocol: str = "ip"  # ip, tcp, udp, icmp, or an IP protocol number
    source: ipaddress.IPv4Network = ANY
    source_port: PortMatch | None = None
    destination: ipaddress.IPv4Network = ANY
    destination_port: PortMatch | None = None
    established: bool = False
    log: bool = False


class Acl(Model):
    name: str
    kind: Literal["standard", "extended"]
    entries: tuple[AclEntry, ...]


class Vlan(Model):
    id: int
    name: str = ""


class Fhrp(Model):
    """A first-hop redundancy group on an interface (HSRP or VRRP)."""

    protocol: Literal["hsrp", "vrrp"]
    group: int
    address: ipaddress.IPv4Address
    priority: int | None = None  # None: the protocol's default (100)
    preempt: bool = False
    version: int | None = None  # HSRP version 2 (per interface)


class Interface(Model):
    name: str
    description: str = ""
    addresses: tuple[ipaddress.IPv4Interface, ...] = ()  # the first is the primary
    shutdown: bool = False
    mode: Literal["routed", "access", "trunk"] = "routed"
    switchport: bool | None = None  # None: the platform's default for this port
    access_vlan: int | None = None
    trunk_vlans: tuple[int, ...] = ()
    native_vlan: int | None = None
    acl_in: str | None = None
    acl_out: str | None = None
    ospf_area: int | None = None  # YAMAHA style: the interface is in this OSPF area
    fhrp: tuple[Fhrp, ...] = ()
    speed: str | None = None  # IOS words: "1000", "100", "auto"
    duplex: str | None = None  # "full", "half", "auto"


class StaticRoute(Model):
    prefix: ipaddress.IPv4Network
    next_hop: ipaddress.IPv4Address | None = None
    interface: str | None = None
    distance: int = 1
    name: str = ""


class OspfNetwork(Model):
    network: ipaddress.IPv4Network
    area: int


class Ospf(Model):
    process: int = 1
    router_id: ipaddress.IPv4Address | None = None
    networks: tuple[OspfNetwork, ...] = ()
    passive_interfaces: tuple[str, ...] = ()
    redistribute: tuple[str, ...] = ()  # IOS words: "connected subnets", "static metric 20"


class SnmpCommunity(Model):
    name: str
    access: Literal["ro", "rw"] = "ro"
    acl: str | None = None


class AaaServer(Model):
    """A TACACS+ or RADIUS server. ``key`` keeps the source's encrypted form ("7 0822...")."""

    protocol: Literal["tacacs+", "radius"]
    name: str
    address: ipaddress.IPv4Address
    key: str = ""
    auth_port: int | None = None
    acct_port: int | None = None


class AaaGroup(Model):
    protocol: Literal["tacacs+", "radius"]
    name: str
    servers: tuple[str, ...] = ()  # server names


class AaaLoginList(Model):
    name: str  # "default" or a named list
    methods: tuple[str, ...]  # "group tacacs+", "group NAME", "local", "enable", "none"...


class LocalUser(Model):
    """A local account: only its one-way hash travels (type 5, 8 or 9), never a password."""

    name: str
    privilege: int | None = None
    secret_type: Literal[5, 8, 9]
    secret: str


class Aaa(Model):
    new_model: bool = False
    servers: tuple[AaaServer, ...] = ()
    groups: tuple[AaaGroup, ...] = ()
    login_lists: tuple[AaaLoginList, ...] = ()
    users: tuple[LocalUser, ...] = ()


class PrefixListEntry(Model):
    seq: int
    action: Literal["permit", "deny"]
    prefix: ipaddress.IPv4Network
    ge: int | None = None
    le: int | None = None


class PrefixList(Model):
    name: str
    entries: tuple[PrefixListEntry, ...]


class CommunityList(Model):
    """An IOS community list; ``entries`` are (action, value) exactly as written."""

    name: str
    kind: Literal["standard", "expanded"]
    entries: tuple[tuple[Literal["permit", "deny"], str], ...]


class RouteMapEntry(Model):
    """One route-map clause. Match and set lines are kept as IOS writes them: only the
    forms the parser knows are accepted (see parsers.ios.ROUTE_MAP_LINES)."""

    action: Literal["permit", "deny"]
    seq: int
    matches: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()


class RouteMap(Model):
    name: str
    entries: tuple[RouteMapEntry, ...]


class BgpStatement(Model):
    """One BGP statement as IOS writes it (IOS and IOS-XE share the language)."""

    text: str
    interface: str | None = None  # the interface it names, renamed with the device


class Bgp(Model):
    asn: int
    statements: tuple[BgpStatement, ...] = ()  # router level, in source order
    ipv4: tuple[BgpStatement, ...] | None = None  # the "address-family ipv4" block
    ipv4_header: str = "address-family ipv4"


class NeutralDevice(Model):
    hostname: str = ""
    domain: str = ""
    name_servers: tuple[ipaddress.IPv4Address, ...] = ()
    ntp_servers: tuple[ipaddress.IPv4Address, ...] = ()
    syslog_hosts: tuple[ipaddress.IPv4Address, ...] = ()
    snmp_location: str = ""
    snmp_contact: str = ""
    snmp_communities: tuple[SnmpCommunity, ...] = ()
    banner: str = ""
    vlans: tuple[Vlan, ...] = ()
    interfaces: tuple[Interface, ...] = ()
    static_routes: tuple[StaticRoute, ...] = ()
    ospf: Ospf | None = None
    acls: tuple[Acl, ...] = ()
    aaa: Aaa | None = None
    prefix_lists: tuple[PrefixList, ...] = ()
    community_lists: tuple[CommunityList, ...] = ()
    route_maps: tuple[RouteMap, ...] = ()
    bgp: Bgp | None = None


class Outcome(StrEnum):
    TRANSLATED = "translated"
    DROPPED = "dropped"
    UNSUPPORTED = "unsupported"
    WAIVED = "waived"  # unsupported, accepted by the inventory's waive_unsupported


class LineAccount(Model):
    number: int  # 1-based line in the source
    text: str  # secrets masked
    outcome: Outcome
    feature: str = ""  # what the line configures (for translated lines and target checks)
    reason: str = ""  # why dropped / unsupported
    scope: str = ""  # the interface the line belongs to, if any


class Translation(Model):
    source_platform: str
    target_platform: str
    device: NeutralDevice
    accounting: tuple[LineAccount, ...]
    config: str = ""  # the rendered target configuration (empty when blocked)

    @property
    def blocking(self) -> tuple[LineAccount, ...]:
        return tuple(a for a in self.accounting if a.outcome is Outcome.UNSUPPORTED)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def counts(self) -> dict[str, int]:
        seen = Counter(a.outcome for a in self.accounting)
        return {o.value: seen[o] for o in Outcome}
