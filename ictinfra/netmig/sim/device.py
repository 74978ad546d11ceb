"""A simulated device: its configurations, faults, and the CLI state of one session."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ictinfra.netmig.sim.configtree import ConfigTree, Node

if TYPE_CHECKING:
    from ictinfra.netmig.sim.topology import Network


@dataclass
class Faults:
    """Faults injected on demand (mutable on purpose: tests flip them while the fleet runs).

    ``delay``: seconds before every answer (a slow device), or only before the answers to
    lines matching ``slow_pattern`` (a device slow to build its config). ``reject``:
    regular expressions; a configuration line matching one is refused with the platform's
    error. ``drop_after``: the connection is cut after this many configuration lines in
    one session (the lines before it stay applied, as on a real device). ``auth_fail``:
    every login is refused. ``drop_neighbours``: regular expressions on neighbours'
    hostnames (inventory or configured) this device stops seeing (lost hellos, a bad cable).
    """

    delay: float = 0.0
    slow_pattern: str = ""  # delay only lines matching this (empty: every line)
    reject: tuple[str, ...] = ()
    drop_after: int | None = None
    auth_fail: bool = False
    ignore: tuple[str, ...] = ()  # lines accepted without error but not applied (a silent bug)
    reboot_after: int | None = None  # the device reboots after this many config lines
    reboot_downtime: float = 1.0
    drop_neighbours: tuple[str, ...] = ()

    def drops_neighbour(self, hostname: str) -> bool:
        return any(re.fullmatch(rx, hostname) for rx in self.drop_neighbours)

    def ignores(self, line: str) -> bool:
        return any(re.search(rx, line) for rx in self.ignore)

    def delay_for(self, line: str) -> float:
        if not self.delay or (self.slow_pattern and not re.search(self.slow_pattern, line)):
            return 0.0
        return self.delay

    def rejects(self, line: str) -> bool:
        return any(re.search(rx, line) for rx in self.reject)


@dataclass
class SimDevice:
    """One device of the fleet. ``running`` and ``startup`` are separate, as on hardware."""

    hostname: str  # the inventory name (prompt comes from the configuration)
    platform: str  # netmiko device type
    model: str
    running: ConfigTree
    username: str
    password: str
    serial: str = "FOC0000X000"
    faults: Faults = field(default_factory=Faults)
    startup: ConfigTree | None = None
    boots: int = 1
    commands: list[str] = field(default_factory=list)  # every line received, for tests
    down_until: float = 0.0  # monotonic time until which logins are refused (rebooting)
    closed_in_config: int = 0  # sessions that ended while in configuration mode
    network: Network | None = None  # the cabling and the other devices (None: no neighbours)

    def __post_init__(self) -> None:
        if self.startup is None:
            self.startup = self.running.copy()

    def save(self) -> None:
        self.startup = self.running.copy()

    def reboot(self) -> None:
        """Power cycle: unsaved changes are lost, the startup configuration is loaded."""
        assert self.startup is not None  # noqa: S101 - set in __post_init__
        self.running = self.startup.copy()
        self.boots += 1


@dataclass
class Session:
    """The CLI state of one SSH session on a device."""

    mode: str = "exec"  # exec, enable, config
    section: Node | None = None
    section_mode: str = ""  # the prompt suffix while in a section, e.g. "config-if"
    awaiting: str = ""  # "enable-password", "yn", ...
    banner_lines: list[str] = field(default_factory=list)
    banner_delim: str = ""
    config_lines: int = 0
    family: bool = False  # inside an IOS "address-family" of a router section
    dirty: bool = False
    closed: bool = False
