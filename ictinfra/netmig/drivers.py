"""What netmig needs per platform: data, keyed explicitly by the inventory's Platform."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from ictinfra.inventory.model import Platform


class NetDriver(BaseModel):
    """How to back up, push to and check one platform (over netmiko)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: Platform
    show_config: str
    send_secret: bool  # whether netmiko's "enable" needs the secret (NEC IX has none)
    error_pattern: str  # output of a configuration line that means "rejected"
    volatile: tuple[str, ...]  # lines of the shown config that change on every read
    comment: str
    route_command: str
    interface_command: str | None = None
    # show commands listing neighbours, each parsed into (protocol, interface, neighbour)
    neighbour_commands: tuple[str, ...] = ()

    def neighbour_protocols(self) -> frozenset[str]:
        return frozenset(NEIGHBOUR_PROTOCOL[c] for c in self.neighbour_commands)

    def is_volatile(self, line: str) -> bool:
        return any(re.match(rx, line) for rx in self.volatile)

    def normalise(self, shown: str) -> str:
        """The configuration as stored: volatile header lines out, LF line ends, one final LF."""
        lines = [ln.rstrip() for ln in shown.replace("\r\n", "\n").split("\n")]
        kept = [ln for ln in lines if not self.is_volatile(ln)]
        while kept and not kept[0]:
            kept.pop(0)
        while kept and not kept[-1]:
            kept.pop()
        return "\n".join(kept) + "\n"


CDP = "show cdp neighbors detail"
OSPF = "show ip ospf neighbor"
NEIGHBOUR_PROTOCOL = {CDP: "cdp", OSPF: "ospf"}

_IOS = {
    "show_config": "show running-config",
    "send_secret": True,
    "error_pattern": r"% ?(Invalid input|Incomplete command|Ambiguous command|Unknown command)",
    "volatile": (
        r"^Building configuration\.\.\.",
        r"^Current configuration : \d+ bytes",
        r"^! Last configuration change at ",
        r"^! NVRAM config last updated at ",
        r"^ntp clock-period ",
    ),
    "comment": "!",
    "route_command": "show ip route",
    "interface_command": "show ip interface brief",
    "neighbour_commands": (CDP, OSPF),
}

NET_DRIVERS: dict[Platform, NetDriver] = {
    Platform.CISCO_IOS: NetDriver(platform=Platform.CISCO_IOS, **_IOS),
    Platform.CISCO_XE: NetDriver(platform=Platform.CISCO_XE, **_IOS),
    Platform.YAMAHA_RTX: NetDriver(
        platform=Platform.YAMAHA_RTX,
        show_config="show config",
        send_secret=True,
        error_pattern=r"^(Error|エラー):",
        volatile=(r"^# Reporting Date: ",),
        comment="#",
        route_command="show ip route",
        neighbour_commands=(OSPF,),
    ),
    Platform.NEC_IX: NetDriver(
        platform=Platform.NEC_IX,
        show_config="show running-config",
        send_secret=False,
        error_pattern=r"^% (Invalid|Incomplete|Ambiguous|Unknown)",
        volatile=(r"^! Current time ",),
        comment="!",
        route_command="show ip route",
        neighbour_commands=(OSPF,),
    ),
}


def net_driver(platform: Platform | str) -> NetDriver:
    return NET_DRIVERS[Platform(platform)]
