"""Platform drivers: mostly data, one folder per platform family.

The map from the inventory's ``Platform`` to its driver is explicit: adding a platform
means adding a folder and one entry here, never an ``if`` chain elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ictinfra.inventory.model import Platform

HERE = Path(__file__).parent


class PlatformDriver(BaseModel):
    """What the rest of ictinfra needs to know about a platform."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: Platform
    family: str  # folder under ictinfra/platforms holding templates (and later parsers)
    netmiko_device_type: str
    vendor: str
    comment_prefix: str  # how a config comment line starts
    save_command: str
    interface_prefixes: tuple[str, ...]  # valid interface name starts, for checks

    @property
    def template_dir(self) -> Path:
        return HERE / self.family / "templates"


_IOS_INTERFACES = (
    "GigabitEthernet",
    "TenGigabitEthernet",
    "TwentyFiveGigE",
    "FortyGigabitEthernet",
    "HundredGigE",
    "FastEthernet",
    "Vlan",
    "Port-channel",
    "Loopback",
)
_IOS = PlatformDriver(
    platform=Platform.CISCO_IOS,
    family="ios",
    netmiko_device_type="cisco_ios",
    vendor="Cisco",
    comment_prefix="!",
    save_command="write memory",
    interface_prefixes=_IOS_INTERFACES,
)

DRIVERS: dict[Platform, PlatformDriver] = {
    Platform.CISCO_IOS: _IOS,
    # IOS-XE shares IOS's syntax and templates; only netmiko's device type differs.
    Platform.CISCO_XE: _IOS.model_copy(
        update={"platform": Platform.CISCO_XE, "netmiko_device_type": "cisco_xe"}
    ),
    Platform.YAMAHA_RTX: PlatformDriver(
        platform=Platform.YAMAHA_RTX,
        family="yamaha",
        netmiko_device_type="yamaha",
        vendor="YAMAHA",
        comment_prefix="#",
        save_command="save",
        interface_prefixes=("lan", "tunnel", "pp", "loopback"),
    ),
    Platform.NEC_IX: PlatformDriver(
        platform=Platform.NEC_IX,
        family="nec_ix",
        netmiko_device_type="nec_ix",
        vendor="NEC",
        comment_prefix="!",
        save_command="write memory",
        interface_prefixes=("GigaEthernet", "TenGigaEthernet", "Loopback", "Tunnel", "BVI"),
    ),
}


def driver(platform: Platform) -> PlatformDriver:
    return DRIVERS[platform]
