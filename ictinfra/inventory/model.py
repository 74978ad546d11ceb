"""The typed, frozen model of the source of truth.

Every layer reads these objects, never the YAML. Items are validated one section at a
time (see ``loader``); cross references are checked on the whole (see ``checks``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Text = Annotated[str, Field(min_length=1)]


class Frozen(BaseModel):
    """Base of every inventory object: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# --- enumerations ---------------------------------------------------------------------


class ZoneKind(StrEnum):
    """The three tiers of the national guideline, plus the zones around them."""

    MYNUMBER = "mynumber"  # マイナンバー利用事務系
    LGWAN = "lgwan"  # LGWAN接続系
    INTERNET = "internet"  # インターネット接続系
    DMZ = "dmz"  # public services facing the internet
    MANAGEMENT = "management"  # device and hypervisor management, maintenance bastion
    WAN = "wan"  # the administrative WAN transport between sites (行政WAN)


class SiteKind(StrEnum):
    HEAD_OFFICE = "head_office"
    DATA_CENTRE = "data_centre"
    REGIONAL_OFFICE = "regional_office"


class Platform(StrEnum):
    """Network device platforms; the values are netmiko device types."""

    CISCO_IOS = "cisco_ios"
    CISCO_XE = "cisco_xe"
    YAMAHA_RTX = "yamaha"
    NEC_IX = "nec_ix"


class DeviceRole(StrEnum):
    CORE = "core"
    DISTRIBUTION = "distribution"
    ACCESS = "access"
    WAN_ROUTER = "wan_router"
    FIREWALL = "firewall"
    LGWAN_ROUTER = "lgwan_router"
    SECURITY_CLOUD_LINK = "security_cloud_link"
    RADIO_BACKUP = "radio_backup"


class Lifecycle(StrEnum):
    CURRENT = "current"  # in service now; end of support in H32
    REPLACEMENT = "replacement"  # the new device that takes over in its wave


class Criticality(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class EvaluationStatus(StrEnum):
    EVALUATED = "evaluated"
    SCHEDULED = "scheduled"
    NOT_REQUIRED = "not_required"


class Batch(StrEnum):
    """Consolidation batch on the common platform (統合サーバ)."""

    EXISTING = "existing"  # the 40 systems on 91 servers since FY2009
    NEXT = "next"  # the 14 systems joining the next platform (FY2020)
    PLATFORM = "platform"  # the platform's own infrastructure (proxy, bastion, mail gateway...)
    NONE = "none"  # stays outside the consolidated platform


class HypervisorPlatform(StrEnum):
    VSPHERE = "vsphere"
    PROXMOX = "proxmox"


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"


class SanctionedPath(StrEnum):
    """How a flow is allowed to cross between zones."""

    DIRECT = "direct"  # plain routed flow, allowed only where the model permits
    SCREEN_TRANSFER = "screen_transfer"  # 画面転送 (virtual browser)
    FILE_SANITISER = "file_sanitiser"  # ファイル無害化
    MAIL_SANITISER = "mail_sanitiser"  # メール無害化
    WEB_PROXY = "web_proxy"
    MAINTENANCE = "maintenance"  # remote maintenance through the bastion


class Component(StrEnum):
    """Platform components that other layers build; systems may carry one."""

    VIRTUAL_BROWSER = "virtual_browser"
    WEB_PROXY = "web_proxy"
    FILE_TRANSFER = "file_transfer"
    MAIL_GATEWAY = "mail_gateway"
    MAIL_STORE = "mail_store"
    ISOLATION_GATEWAY = "isolation_gateway"
    BASTION = "bastion"
    NTP = "ntp"
    LOG = "log"
    DNS = "dns"


# --- secrets --------------------------------------------------------------------------


class SecretRef(Frozen):
    """A reference to a secret: an environment variable or a vault entry, never a value."""

    env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    vault: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9/_.-]*$")] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.vault is None):
            raise ValueError("a secret reference names exactly one of 'env' or 'vault'")
        return self

    def __str__(self) -> str:
        return f"env:{self.env}" if self.env else f"vault:{self.vault}"


# --- organisation ---------------------------------------------------------------------


class Organisation(Frozen):
    name: Text
    name_ja: Text
    division: Text
    fiscal_year_cutover: Annotated[int, Field(ge=2000, le=2100)]
    domain: Text
    ntp_servers: tuple[ipaddress.IPv4Address, ...] = ()
    syslog_servers: tuple[ipaddress.IPv4Address, ...] = ()
    dns_servers: tuple[ipaddress.IPv4Address, ...] = ()
    snmp_location_prefix: Text = "JP"
    login_banner: Text = "Authorised use only."
    device_credentials: SecretRef


class Site(Frozen):
    id: Name
    name: Text
    name_ja: Text
    kind: SiteKind
    region: Text
    address_ja: str = ""


class Zone(Frozen):
    id: Name
    name: Text
    name_ja: Text
    kind: ZoneKind
    description: str = ""


class Segment(Frozen):
    id: Name
    site: Name
    zone: Name
    vlan: Annotated[int, Field(ge=1, le=4094)]
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address | None = None
    purpose: str = ""

    @model_validator(mode="after")
    def _gateway_inside(self) -> Segment:
        if self.gateway is not None and self.gateway not in self.subnet:
            raise ValueError(f"gateway {self.gateway} is outside subnet {self.subnet}")
        return self


# --- network devices ------------------------------------------------------------------


class Interface(Frozen):
    name: Text
    description: str = ""
    segment: Name | None = None  # routed/SVI or access port of this segment
    address: ipaddress.IPv4Interface | None = None
    mode: Literal["routed", "access", "trunk", "shutdown"] = "routed"
    vlans: tuple[Annotated[int, Field(ge=1, le=4094)], ...] = ()  # trunk members


class StaticRoute(Frozen):
    prefix: ipaddress.IPv4Network
    next_hop: ipaddress.IPv4Address
    distance: Annotated[int, Field(ge=1, le=255)] = 1
    description: str = ""


class Ospf(Frozen):
    process: Annotated[int, Field(ge=1, le=65535)] = 1
    router_id: ipaddress.IPv4Address
    areas: tuple[OspfArea, ...]


class OspfArea(Frozen):
    area: Annotated[int, Field(ge=0)]
    networks: tuple[ipaddress.IPv4Network, ...]


class Device(Frozen):
    hostname: Name
    platform: Platform
    model: Text
    site: Name
    role: DeviceRole
    lifecycle: Lifecycle
    mgmt_address: ipaddress.IPv4Address
    replaces: Name | None = None
    wave: Annotated[int, Field(ge=0, le=99)] | None = None
    end_of_support: dt.date | None = None
    interfaces: tuple[Interface, ...] = ()
    interface_map: dict[str, str] = Field(default_factory=dict)  # old name -> new name
    static_routes: tuple[StaticRoute, ...] = ()
    ospf: Ospf | None = None
    credentials: SecretRef | None = None  # defaults to the organisation's
    waive_unsupported: tuple[str, ...] = ()  # source lines accepted as untranslatable
    # A hub routing between other sites: its isolation ACL carries every path of the
    # policy. Other border devices carry only paths with an end at their own site.
    transit: bool = False

    @model_validator(mode="after")
    def _lifecycle_fields(self) -> Device:
        if self.lifecycle is Lifecycle.REPLACEMENT:
            if self.replaces is None:
                raise ValueError("a replacement device must name the device it 'replaces'")
            if self.wave is None:
                raise ValueError("a replacement device must have a cutover 'wave'")
        elif self.replaces is not None:
            raise ValueError("only a replacement device can have 'replaces'")
        return self


# --- systems and servers --------------------------------------------------------------


class Disk(Frozen):
    size_gb: Annotated[int, Field(ge=1, le=65536)]
    tier: Literal["ssd", "hdd", "archive"] = "ssd"


class Server(Frozen):
    name: Name
    role: Text
    vcpu: Annotated[int, Field(ge=1, le=256)]
    memory_gb: Annotated[int, Field(ge=1, le=4096)]
    disks: tuple[Disk, ...] = Field(min_length=1)
    os: Text
    segment: Name
    address: ipaddress.IPv4Address
    backup_class: Literal["daily", "weekly", "none"] = "daily"
    anti_affinity: str | None = None  # servers sharing a group never share a host


class Evaluation(Frozen):
    status: EvaluationStatus
    fiscal_year: Annotated[int, Field(ge=2005, le=2100)] | None = None


class Consolidation(Frozen):
    batch: Batch
    since_fiscal_year: Annotated[int, Field(ge=2005, le=2100)] | None = None


class System(Frozen):
    id: Annotated[str, Field(pattern=r"^SYS-[0-9]{3,6}$")]
    name: Text
    name_en: Text
    department: Text
    zones: tuple[Name, ...] = Field(min_length=1)
    criticality: Criticality
    annual_cost_jpy: Annotated[int, Field(ge=0)]
    evaluation: Evaluation
    consolidation: Consolidation
    component: Component | None = None
    vendor: Name | None = None
    servers: tuple[Server, ...] = ()


class Hypervisor(Frozen):
    name: Name
    site: Name
    platform: HypervisorPlatform
    cluster: Name
    cores: Annotated[int, Field(ge=1, le=1024)]
    memory_gb: Annotated[int, Field(ge=1)]
    storage_gb: Annotated[int, Field(ge=1)]
    mgmt_address: ipaddress.IPv4Address
    zones: tuple[Name, ...] = ()  # zones whose VMs this host may run; empty: any zone


class Vendor(Frozen):
    """A maintenance vendor reaching its systems through the bastion (リモート保守)."""

    id: Name
    name: Text
    contact: str = ""
    ssh_public_key: SecretRef


# --- flows and mail -------------------------------------------------------------------


class Service(Frozen):
    protocol: Protocol
    port: Annotated[int, Field(ge=1, le=65535)] | None = None

    @model_validator(mode="after")
    def _port_rules(self) -> Service:
        if self.protocol is Protocol.ICMP and self.port is not None:
            raise ValueError("icmp has no port")
        if self.protocol is not Protocol.ICMP and self.port is None:
            raise ValueError(f"{self.protocol} needs a port")
        return self

    def __str__(self) -> str:
        return str(self.protocol) if self.port is None else f"{self.protocol}/{self.port}"


class Flow(Frozen):
    id: Name
    source_zone: Name
    destination_zone: Name
    source_system: str | None = None
    destination_system: str | None = None
    services: tuple[Service, ...] = Field(min_length=1)
    via: SanctionedPath
    reason: Text


class MailPolicy(Frozen):
    internal_domains: tuple[Text, ...] = Field(min_length=1)
    allowed_attachment_types: tuple[Text, ...]
    convert_documents_to: Literal["image_pdf", "text"] = "image_pdf"
    hold_encrypted: bool = True
    archive_max_depth: Annotated[int, Field(ge=0, le=10)] = 3
    archive_max_members: Annotated[int, Field(ge=1)] = 200
    archive_max_expanded_mb: Annotated[int, Field(ge=1)] = 100
    max_message_mb: Annotated[int, Field(ge=1)] = 50
    quarantine_days: Annotated[int, Field(ge=1)] = 90
    quarantine_key: SecretRef
    approvers: tuple[Text, ...] = Field(min_length=1)


# --- the whole ------------------------------------------------------------------------


class Inventory(Frozen):
    """The whole source of truth, cross-checked. Build it with ``load_inventory``."""

    organisation: Organisation
    sites: tuple[Site, ...]
    zones: tuple[Zone, ...]
    segments: tuple[Segment, ...]
    devices: tuple[Device, ...]
    systems: tuple[System, ...]
    hypervisors: tuple[Hypervisor, ...]
    vendors: tuple[Vendor, ...]
    flows: tuple[Flow, ...]
    mail_policy: MailPolicy

    # Lookups are derived from the tuples, never stored in YAML.
    @cached_property
    def sites_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @cached_property
    def zones_by_id(self) -> dict[str, Zone]:
        return {z.id: z for z in self.zones}

    @cached_property
    def segments_by_id(self) -> dict[str, Segment]:
        return {s.id: s for s in self.segments}

    @cached_property
    def devices_by_hostname(self) -> dict[str, Device]:
        return {d.hostname: d for d in self.devices}

    @cached_property
    def systems_by_id(self) -> dict[str, System]:
        return {s.id: s for s in self.systems}

    def zone_of_segment(self, segment_id: str) -> Zone:
        return self.zones_by_id[self.segments_by_id[segment_id].zone]

    def current_devices(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.lifecycle is Lifecycle.CURRENT)

    def replacements(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.lifecycle is Lifecycle.REPLACEMENT)

    def waves(self) -> dict[int, tuple[Device, ...]]:
        out: dict[int, list[Device]] = {}
        for dev in self.replacements():
            assert dev.wave is not None  # guaranteed by Device validation  # noqa: S101
            out.setdefault(dev.wave, []).append(dev)
        return {w: tuple(ds) for w, ds in sorted(out.items())}


Ospf.model_rebuild()
