"""The CLI of each simulated platform: prompts, modes, configuration, show commands.

Output formats follow what the real devices print, closely enough that netmiko drives
them with the real device types and ntc-templates (Cisco, YAMAHA ``show ip route``) or the
project's own templates (NEC IX) parse them. One class per platform family; the map from
netmiko device type to class is explicit (``PLATFORMS``).
"""

from __future__ import annotations

import ipaddress
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from ictinfra.netmig.sim.configtree import ConfigTree, TreeRules, compile_all
from ictinfra.netmig.sim.device import Session, SimDevice
from ictinfra.netmig.sim.topology import Adjacency


@dataclass(frozen=True)
class Reply:
    """What the device prints after a line, and whether it closes the session."""

    text: str = ""
    close: bool = False


@dataclass(frozen=True)
class Route:
    prefix: ipaddress.IPv4Network
    kind: str  # connected, local, static, ospf
    next_hop: str  # address or "" for connected
    interface: str
    distance: int = 0


@dataclass(frozen=True)
class L3:
    """An interface as the neighbour simulation needs it (from the running config)."""

    name: str
    up: bool
    address: ipaddress.IPv4Interface | None
    ospf_area: int | None = None  # OSPF runs on it in this area (None: not, or passive)


def ospf_area(text: str) -> int:
    """An area as an integer: "0", "0.0.0.1" and YAMAHA's "backbone" all work."""
    if text == "backbone":
        return 0
    if "." in text:
        return int(ipaddress.IPv4Address(text))
    return int(text)


def _highest(addresses: list[ipaddress.IPv4Interface | None]) -> str | None:
    found = [a.ip for a in addresses if a is not None]
    return str(max(found)) if found else None


def _ospf_router_id(tree: ConfigTree, section: str) -> tuple[bool, str | None]:
    """(whether an OSPF process section exists, its configured ``router-id`` if any)."""
    sections = tree.sections(section)
    if not sections:
        return False, None
    for child in sections[0].children:
        m = re.match(r"^router-id (\S+)$", child.text)
        if m:
            return True, m.group(1)
    return True, None


DEAD_TIME = "00:00:35"


def matches(typed: str, canonical: str) -> bool:
    """IOS-style abbreviation: each typed word is a prefix of the canonical word."""
    words = typed.split()
    want = canonical.split()
    return len(words) == len(want) and all(
        w.startswith(t) for t, w in zip(words, want, strict=True)
    )


def starts(typed: str, canonical: str) -> list[str] | None:
    """Like ``matches`` on the first words; returns the remaining arguments."""
    words = typed.split()
    want = canonical.split()
    if len(words) < len(want):
        return None
    if all(w.startswith(t) for t, w in zip(words, want, strict=False)):
        return words[len(want) :]
    return None


class SimPlatform(ABC):
    """A platform's CLI. Stateless: state lives in ``SimDevice`` and ``Session``."""

    rules: TreeRules
    indent = " "
    separator: str | None = "!"
    interface_prefixes: tuple[str, ...] = ()

    @abstractmethod
    def hostname(self, dev: SimDevice) -> str: ...

    @abstractmethod
    def prompt(self, dev: SimDevice, sess: Session) -> str: ...

    @abstractmethod
    def login_banner(self, dev: SimDevice) -> str: ...

    @abstractmethod
    def handle(self, dev: SimDevice, sess: Session, line: str) -> Reply: ...

    @abstractmethod
    def config_text(self, dev: SimDevice, tree: ConfigTree) -> str: ...

    @abstractmethod
    def error(self, line: str) -> str: ...

    def factory_default(self, hostname: str, mgmt: str | None, interfaces: tuple[str, ...]) -> str:
        """The minimal configuration a new device is staged with (reachable, named).

        ``mgmt`` is the address of the last interface; None when the device is managed out
        of band (its management port is not one of the inventory's interfaces).
        """
        raise NotImplementedError

    # --- shared helpers ------------------------------------------------------------------

    def bad_interface(self, line: str) -> bool:
        m = re.match(r"^interface (\S+)", line)
        return bool(
            m and self.interface_prefixes and not m.group(1).startswith(self.interface_prefixes)
        )

    def configure(self, dev: SimDevice, sess: Session, line: str) -> Reply | None:
        """Apply one configuration line; None means accepted silently. Counts lines."""
        if dev.faults.rejects(line) or self.bad_interface(line):
            return Reply(self.error(line))
        if dev.faults.ignores(line):
            return None
        sess.section = dev.running.apply(line, sess.section)
        sess.dirty = True
        sess.config_lines += 1
        dev.commands.append(line)
        if dev.faults.drop_after is not None and sess.config_lines >= dev.faults.drop_after:
            dev.faults.drop_after = None  # one event, as on a real link
            return Reply("", close=True)
        if dev.faults.reboot_after is not None and sess.config_lines >= dev.faults.reboot_after:
            dev.faults.reboot_after = None
            dev.reboot()
            dev.down_until = time.monotonic() + dev.faults.reboot_downtime
            return Reply("", close=True)
        return None

    def routes(self, tree: ConfigTree) -> list[Route]:
        raise NotImplementedError

    # --- neighbours ------------------------------------------------------------------------

    speaks_cdp = False

    def l3_interfaces(self, tree: ConfigTree) -> dict[str, L3]:
        raise NotImplementedError

    def router_id(self, tree: ConfigTree) -> str | None:
        """The OSPF router id, or None when OSPF does not run."""
        raise NotImplementedError

    def physical(self, interface: str) -> str:
        """The port a (sub)interface's frames leave by (what CDP names)."""
        return interface

    def adjacencies(self, dev: SimDevice, protocol: str) -> list[Adjacency]:
        if dev.network is None:
            return []
        return [a for a in dev.network.adjacencies(dev.hostname) if a.protocol == protocol]

    def ospf_neighbor_table(self, dev: SimDevice, interface_label: Callable[[str], str]) -> str:
        """The Cisco-style neighbour table (IOS; NEC IX and YAMAHA print the same columns)."""
        rows = [
            f"{a.router_id:<15} {1:>3}   {a.state:<15} {DEAD_TIME:<11} {a.peer_address:<15} "
            f"{interface_label(a.local_interface)}"
            for a in self.adjacencies(dev, "ospf")
        ]
        if not rows:
            return ""
        head = "Neighbor ID     Pri   State           Dead Time   Address         Interface"
        return "\n".join(["", head, *rows]) + "\n"

    config_mode = "config"  # the Session mode in which configuration lines are accepted

    def push_offline(self, dev: SimDevice, lines: list[str]) -> list[str]:
        """Feed configuration lines as a session in config mode would (no SSH): the replies."""
        sess = Session(mode=self.config_mode)
        replies = [self.handle(dev, sess, line).text for line in lines]
        return [r for r in replies if r]


# --- Cisco IOS / IOS-XE -------------------------------------------------------------------

IOS_RULES = TreeRules(
    comment_prefixes=("!",),
    sections=compile_all(
        r"^interface \S+",
        r"^router \S+",
        r"^vlan \d+$",
        r"^ip access-list ",
        r"^line ",
        r"^class-map ",
        r"^policy-map ",
        r"^route-map ",
        r"^ip dhcp pool ",
        r"^crypto ",
        r"^archive$",
        r"^key chain ",
        r"^tacacs server ",
        r"^radius server ",
        r"^aaa group server ",
    ),
    keyed=compile_all(
        r"^(hostname) ",
        r"^(description) ",
        r"^(?:no )?(ip address)(?: (?!.*secondary)|$)",
        r"^(?:no )?(shutdown)$",
        r"^(?:no )?(switchport)$",
        r"^(switchport mode) ",
        r"^(switchport access vlan) ",
        r"^(switchport trunk allowed vlan) ",
        r"^(switchport trunk native vlan) ",
        r"^(name) ",
        r"^(router-id) ",
        r"^(ip domain[ -]name) ",
        r"^(snmp-server location) ",
        r"^(snmp-server contact) ",
        r"^(enable secret) ",
        r"^(clock timezone) ",
        r"^(aaa authentication login \S+) ",
        r"^(username \S+) ",
        r"^(address ipv4) ",
        r"^(key) ",
        r"^(standby version) ",
        r"^(speed) ",
        r"^(duplex) ",
        r"^((?:standby|vrrp) \d+ (?:ip|priority)) ",
    ),
    literal_no=compile_all(
        r"^no shutdown$", r"^no ip address$", r"^no switchport$", r"^no ip http"
    ),
    default_lines=compile_all(r"^switchport$"),
    global_only=compile_all(
        r"^hostname ",
        r"^ip route ",
        r"^ip domain",
        r"^ip name-server ",
        r"^ntp ",
        r"^logging ",
        r"^snmp-server ",
        r"^banner ",
        r"^username ",
        r"^enable ",
        r"^service ",
        r"^aaa ",
        r"^ip prefix-list ",
        r"^ip community-list ",
        r"^tacacs",
        r"^radius",
        r"^access-list ",
        r"^clock ",
        r"^spanning-tree ",
        r"^no (interface|router|vlan|ip access-list|ip route|ntp|logging|snmp-server|banner) ",
        r"^no (aaa|tacacs|radius|username|ip prefix-list|ip community-list|route-map) ",
    ),
    ignore=compile_all(
        r"^end$", r"^Building configuration", r"^Current configuration", r"^version "
    ),
    shown_default=(("ip address", "no ip address"),),
    sequenced=compile_all(r"^ip access-list "),
)

SECTION_MODES = (
    (r"^interface ", "config-if"),
    (r"^router ", "config-router"),
    (r"^vlan ", "config-vlan"),
    (r"^ip access-list standard", "config-std-nacl"),
    (r"^ip access-list extended", "config-ext-nacl"),
    (r"^line ", "config-line"),
    (r"^route-map ", "config-route-map"),
    (r"^tacacs server ", "config-server-tacacs"),
    (r"^radius server ", "config-radius-server"),
    (r"^aaa group server tacacs", "config-sg-tacacs+"),
    (r"^aaa group server radius", "config-sg-radius"),
)

IOS_INVALID = "% Invalid input detected at '^' marker."


class CiscoIos(SimPlatform):
    interface_prefixes = (
        "GigabitEthernet",
        "TenGigabitEthernet",
        "TwentyFiveGigE",
        "FortyGigabitEthernet",
        "HundredGigE",
        "FastEthernet",
        "Ethernet",
        "Serial",
        "Vlan",
        "Port-channel",
        "Loopback",
        "Tunnel",
        "Dialer",
        "BVI",
        "Virtual-",
        "Async",
        "Null",
        "Multilink",
        "ATM",
        "Cellular",
    )

    def __init__(self, xe: bool = False) -> None:  # noqa: FBT001, FBT002 - a data flag
        self.rules = IOS_RULES
        self.xe = xe

    def hostname(self, dev: SimDevice) -> str:
        found = dev.running.top(r"^hostname (\S+)")
        return found[-1].group(1) if found else "Router"

    def prompt(self, dev: SimDevice, sess: Session) -> str:
        name = self.hostname(dev)
        if sess.awaiting == "enable-password":
            return "Password: "
        if sess.mode == "config":
            return f"{name}({sess.section_mode or 'config'})#"
        return f"{name}#" if sess.mode == "enable" else f"{name}>"

    def login_banner(self, dev: SimDevice) -> str:
        found = [n for n in dev.running.nodes if n.text.startswith("banner motd")]
        if not found:
            return ""
        body = found[0].text.split("\n")[1:-1]
        return "\n" + "\n".join(body) + "\n\n"

    def error(self, line: str) -> str:
        return f"{' ' * (len(line) // 2)}^\n{IOS_INVALID}\n"

    def config_text(self, dev: SimDevice, tree: ConfigTree) -> str:  # noqa: ARG002 - the interface's signature
        body = "\n".join(
            ["!", "version 15.2" if not self.xe else "version 17.9", "!", *tree.lines(), "!", "end"]
        )
        return (
            f"Building configuration...\n\nCurrent configuration : {len(body) + 1} bytes\n{body}\n"
        )

    def factory_default(self, hostname: str, mgmt: str | None, interfaces: tuple[str, ...]) -> str:
        lines = [f"hostname {hostname}"]
        for name in interfaces if mgmt is None else interfaces[:-1]:
            lines += [f"interface {name}", " no ip address", " shutdown"]
        if mgmt is None:
            return "\n".join(lines) + "\n"
        iface = ipaddress.IPv4Interface(mgmt)
        lines += [
            f"interface {interfaces[-1]}",
            f" ip address {iface.ip} {iface.netmask}",
            " no shutdown",
        ]
        return "\n".join(lines) + "\n"

    def handle(self, dev: SimDevice, sess: Session, line: str) -> Reply:  # noqa: PLR0911, PLR0912
        if sess.awaiting == "enable-password":
            sess.awaiting = ""
            if line == dev.password:
                sess.mode = "enable"
                return Reply()
            return Reply("% Access denied\n")
        if sess.banner_delim:
            sess.banner_lines.append(line)
            if sess.banner_delim in line:
                dev.running.apply("\n".join(sess.banner_lines), None)
                sess.banner_delim, sess.banner_lines = "", []
            return Reply()
        cmd = line.strip()
        if not cmd:
            return Reply()
        if sess.mode == "config":
            return self._config(dev, sess, cmd)
        if matches(cmd, "enable"):
            if sess.mode == "enable":
                return Reply()
            sess.awaiting = "enable-password"
            return Reply()
        if matches(cmd, "disable"):
            sess.mode = "exec"
            return Reply()
        if matches(cmd, "exit") or matches(cmd, "logout") or matches(cmd, "quit"):
            return Reply(close=True)
        if starts(cmd, "terminal") is not None:
            return Reply()
        if sess.mode == "enable" and matches(cmd, "configure terminal"):
            sess.mode, sess.section, sess.section_mode = "config", None, ""
            return Reply("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        if sess.mode == "enable" and (
            matches(cmd, "write memory") or matches(cmd, "copy running-config startup-config")
        ):
            dev.save()
            sess.dirty = False
            return Reply("Building configuration...\n[OK]\n")
        if sess.mode == "enable" and matches(cmd, "reload"):
            dev.reboot()
            return Reply(close=True)
        return self.show(dev, sess, cmd)

    def _config(self, dev: SimDevice, sess: Session, cmd: str) -> Reply:
        if cmd in {"end", "\x1a"}:
            sess.mode, sess.section, sess.section_mode = "enable", None, ""
            return Reply()
        if cmd == "exit":
            if sess.section is None:
                sess.mode = "enable"
            sess.section, sess.section_mode = None, ""
            return Reply()
        if cmd.startswith("do "):
            return self.show(dev, sess, cmd[3:])
        banner = re.match(r"^banner (\S+) (\S+)(.*)$", cmd)
        if banner and banner.group(2) not in banner.group(3):
            sess.banner_delim, sess.banner_lines = banner.group(2), [cmd]
            return Reply("Enter TEXT message.  End with the character '^'.\n")
        if sess.section is not None and sess.section.text.startswith("router "):
            # An address family is a level deeper: its lines are kept one space further in.
            if cmd.startswith("address-family "):
                sess.family = True
            elif cmd == "exit-address-family" or self.rules.is_global(cmd):
                sess.family = False  # a global command leaves the family and the section
            elif sess.family:
                cmd = f"no  {cmd[3:]}" if cmd.startswith("no ") else f" {cmd}"
        else:
            sess.family = False
        before = sess.section
        reply = self.configure(dev, sess, cmd)
        if sess.section is not before:
            sess.section_mode = ""
            if sess.section is not None:
                sess.section_mode = next(
                    (mode for rx, mode in SECTION_MODES if re.match(rx, sess.section.text)),
                    "config-if",
                )
        return reply or Reply()

    def show(self, dev: SimDevice, sess: Session, cmd: str) -> Reply:  # noqa: PLR0911
        if matches(cmd, "show running-config") or matches(cmd, "show startup-config"):
            if sess.mode == "exec":
                return Reply(self.error(cmd))
            startup = cmd.split()[1].startswith("star")
            assert dev.startup is not None  # noqa: S101
            return Reply(self.config_text(dev, dev.startup if startup else dev.running))
        if matches(cmd, "show version"):
            return Reply(self.version(dev))
        if matches(cmd, "show ip interface brief"):
            return Reply(self.ip_interface_brief(dev))
        if matches(cmd, "show ip route"):
            return Reply(self.ip_route(dev))
        if matches(cmd, "show ip ospf neighbor"):
            return Reply(self.ospf_neighbor_table(dev, str))
        if matches(cmd, "show cdp neighbors detail"):
            return Reply(self.cdp_detail(dev))
        if matches(cmd, "show clock"):
            return Reply("*09:00:00.000 JST Thu Nov 26 2026\n")
        return Reply(self.error(cmd))

    def version(self, dev: SimDevice) -> str:
        name = self.hostname(dev)
        if self.xe:
            image, ver, rel = "CAT9K_IOSXE", "17.9.4a", "fc4"
            title = (
                "Cisco IOS XE Software, Version 17.09.04a\n"
                "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software"
            )
        else:
            image, ver, rel = "CAT4500e-UNIVERSALK9-M", "15.2(4)E10", "fc2"
            title = "Cisco IOS Software, IOS-XE Software"
        return (
            f"{title} ({image}), Version {ver}, RELEASE SOFTWARE ({rel})\n"
            "Technical Support: http://www.cisco.com/techsupport\n"
            "Copyright (c) 1986-2023 by Cisco Systems, Inc.\n"
            "Compiled Thu 24-Aug-23 06:32 by prod_rel_team\n\n"
            "ROM: 15.0(1r)SG15\n"
            f"{name} uptime is {dev.boots} weeks, 2 days, 3 hours, 4 minutes\n"
            "System returned to ROM by reload\n"
            'System image file is "bootflash:cat4500e-universalk9.SPA.03.11.09.E.152-7.E9.bin"\n\n'
            f"cisco {dev.model.replace(' ', '-')} (MPC8572) processor (revision 2) "
            "with 4194304K bytes of memory.\n"
            f"Processor board ID {dev.serial}\n"
            "4 Gigabit Ethernet interfaces\n\n"
            "Configuration register is 0x2102\n"
        )

    def interfaces(self, tree: ConfigTree) -> list[tuple[str, str, bool]]:
        """(name, address or "unassigned", shut) for every interface section."""
        out = []
        for node in tree.sections(r"^interface "):
            name = node.text.split()[1]
            addr = "unassigned"
            shut = False
            for child in node.children:
                m = re.match(r"^ip address (\S+) (\S+)$", child.text)
                if m:
                    addr = m.group(1)
                if child.text == "shutdown":
                    shut = True
            out.append((name, addr, shut))
        return out

    # --- neighbours ------------------------------------------------------------------------

    speaks_cdp = True

    def physical(self, interface: str) -> str:
        return interface.split(".")[0]

    def l3_interfaces(self, tree: ConfigTree) -> dict[str, L3]:
        found: dict[str, tuple[ipaddress.IPv4Interface | None, bool, int | None]] = {}
        for node in tree.sections(r"^interface "):
            addr: ipaddress.IPv4Interface | None = None
            area: int | None = None
            texts = [c.text for c in node.children]
            for text in texts:
                m = re.match(r"^ip address (\S+) (\S+)$", text)
                if m:
                    addr = ipaddress.IPv4Interface(f"{m.group(1)}/{m.group(2)}")
                m = re.match(r"^ip ospf \d+ area (\S+)$", text)
                if m:
                    area = ospf_area(m.group(1))
            found[node.text.split()[1]] = (addr, "shutdown" in texts, area)
        networks: list[tuple[int, int, int]] = []
        passive: set[str] = set()
        active: set[str] = set()
        passive_default = False
        for node in tree.sections(r"^router ospf \d+"):
            for child in node.children:
                m = re.match(r"^network (\S+) (\S+) area (\S+)$", child.text)
                if m:
                    wild = int(ipaddress.IPv4Address(m.group(2)))
                    net = int(ipaddress.IPv4Address(m.group(1)))
                    networks.append((net & ~wild, wild, ospf_area(m.group(3))))
                m = re.match(r"^(no )?passive-interface (\S+)$", child.text)
                if m and m.group(2) == "default":
                    passive_default = not m.group(1)
                elif m:
                    (active if m.group(1) else passive).add(m.group(2))
        out: dict[str, L3] = {}
        for name, (addr, shut, own_area) in found.items():
            parent = name.split(".")[0]
            up = not shut and not (parent != name and found.get(parent, (None, False, None))[1])
            area = own_area
            if area is None and addr is not None:
                ip = int(addr.ip)
                area = next((a for net, wild, a in networks if ip & ~wild == net), None)
            is_passive = name in passive or (passive_default and name not in active)
            out[name] = L3(name, up, addr, None if is_passive else area)
        return out

    def router_id(self, tree: ConfigTree) -> str | None:
        runs, configured = _ospf_router_id(tree, r"^router ospf \d+")
        if not runs or configured:
            return configured
        l3 = self.l3_interfaces(tree)
        loops = [i.address for n, i in l3.items() if n.startswith("Loopback") and i.up]
        return _highest(loops) or _highest([i.address for i in l3.values() if i.up])

    def cdp_detail(self, dev: SimDevice) -> str:
        blocks = []
        seen: set[tuple[str, str, str]] = set()
        for a in self.adjacencies(dev, "cdp"):
            link = (a.local_interface, a.peer, a.peer_interface)
            if link in seen:
                continue  # one entry per cable, however many subinterfaces ride on it
            seen.add(link)
            xe = a.peer_platform == "cisco_xe"
            software = (
                "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), "
                "Version 17.9.4a, RELEASE SOFTWARE (fc4)"
                if xe
                else "Cisco IOS Software, Catalyst 4500 L3 Switch  Software "
                "(cat4500e-UNIVERSALK9-M), Version 15.2(4)E10, RELEASE SOFTWARE (fc2)"
            )
            address = [f"  IP address: {a.peer_address}"] if a.peer_address else []
            blocks.append(
                "\n".join(
                    [
                        "-------------------------",
                        f"Device ID: {a.peer_name}",
                        "Entry address(es): ",
                        *address,
                        f"Platform: cisco {a.peer_model.replace(' ', '-')},  "
                        "Capabilities: Router Switch IGMP ",
                        f"Interface: {a.local_interface},  "
                        f"Port ID (outgoing port): {a.peer_interface}",
                        "Holdtime : 157 sec",
                        "",
                        "Version :",
                        software,
                        "Technical Support: http://www.cisco.com/techsupport",
                        "Copyright (c) 1986-2023 by Cisco Systems, Inc.",
                        "Compiled Thu 24-Aug-23 06:32 by prod_rel_team",
                        "",
                        "advertisement version: 2",
                        "VTP Management Domain: ''",
                        "Native VLAN: 1",
                        "Duplex: full",
                        "Management address(es): ",
                        *address,
                        "",
                    ]
                )
            )
        if not blocks:
            return ""
        return "\n".join(blocks) + f"\n\nTotal cdp entries displayed : {len(blocks)}\n"

    def ip_interface_brief(self, dev: SimDevice) -> str:
        rows = ["Interface              IP-Address      OK? Method Status                Protocol"]
        for name, addr, shut in self.interfaces(dev.running):
            status, proto = ("administratively down", "down") if shut else ("up", "up")
            method = "manual" if addr != "unassigned" else "unset"
            rows.append(f"{name:<22} {addr:<15} YES {method:<6} {status:<21} {proto}")
        return "\n".join(rows) + "\n"

    def routes(self, tree: ConfigTree) -> list[Route]:
        out: list[Route] = []
        for node in tree.sections(r"^interface "):
            name = node.text.split()[1]
            texts = [c.text for c in node.children]
            if "shutdown" in texts:
                continue
            for text in texts:
                m = re.match(r"^ip address (\S+) (\S+)", text)
                if m:
                    iface = ipaddress.IPv4Interface(f"{m.group(1)}/{m.group(2)}")
                    out.append(Route(iface.network, "connected", "", name))
                    out.append(Route(ipaddress.IPv4Network(f"{iface.ip}/32"), "local", "", name))
        for m in tree.top(r"^ip route (\S+) (\S+) (\d+\.\d+\.\d+\.\d+)(?: (\d+))?"):
            prefix = ipaddress.IPv4Network(f"{m.group(1)}/{m.group(2)}")
            out.append(Route(prefix, "static", m.group(3), "", int(m.group(4) or 1)))
        return out

    def ip_route(self, dev: SimDevice) -> str:
        codes = (
            "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
            "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area \n"
            "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
            "       E1 - OSPF external type 1, E2 - OSPF external type 2\n"
            "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n"
            "       ia - IS-IS inter area, * - candidate default, U - per-user static route\n"
            "       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP\n"
            "       a - application route\n"
            "       + - replicated route, % - next hop override, p - overrides from PfR\n\n"
        )
        routes = self.routes(dev.running)
        default = next((r for r in routes if r.prefix.prefixlen == 0 and r.kind == "static"), None)
        if default is None:
            codes += "Gateway of last resort is not set\n\n"
        else:
            codes += f"Gateway of last resort is {default.next_hop} to network 0.0.0.0\n\n"
        groups: dict[ipaddress.IPv4Network, list[Route]] = {}
        for route in sorted(routes, key=lambda r: (r.prefix.network_address, r.prefix.prefixlen)):
            groups.setdefault(_classful(route.prefix), []).append(route)
        lines: list[str] = []
        code = {"connected": "C", "local": "L", "static": "S", "ospf": "O"}
        for major, members in groups.items():
            nested = not (len(members) == 1 and members[0].prefix == major)
            if nested:
                masks = {r.prefix.prefixlen for r in members}
                if len(masks) > 1:
                    lines.append(
                        f"      {major} is variably subnetted, "
                        f"{len(members)} subnets, {len(masks)} masks"
                    )
                else:
                    lines.append(
                        f"      {major.network_address}/{members[0].prefix.prefixlen} "
                        "is subnetted, "
                        f"{len(members)} subnet{'s' if len(members) > 1 else ''}"
                    )
            for r in members:
                flag = "*" if r.prefix.prefixlen == 0 else ""
                head = f"{code[r.kind]}{flag}"
                pad = "        " if nested else "    "
                head = f"{head:<2}{pad}" if nested else f"{head:<6}"
                if r.kind in {"connected", "local"}:
                    lines.append(f"{head}{r.prefix} is directly connected, {r.interface}")
                else:
                    lines.append(f"{head}{r.prefix} [{r.distance}/0] via {r.next_hop}")
        return codes + "\n".join(lines) + "\n"


def _classful(prefix: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    first = int(prefix.network_address) >> 24
    if prefix.prefixlen == 0:
        return prefix
    bits = 8 if first < 128 else 16 if first < 192 else 24
    return ipaddress.IPv4Network((int(prefix.network_address) >> (32 - bits) << (32 - bits), bits))


# --- YAMAHA RTX ---------------------------------------------------------------------------

YAMAHA_RULES = TreeRules(
    comment_prefixes=("#",),
    sections=compile_all(r"^pp select \d+$", r"^tunnel select \d+$"),
    keyed=compile_all(
        r"^(console prompt) ",
        r"^(ip \S+ address) ",
        r"^(description \S+) ",
        r"^(ip route \S+) ",  # one line per destination: a new one replaces the old
        r"^(dns domain) ",
        r"^(snmp sysname) ",
        r"^(snmp syslocation) ",
        r"^(snmp syscontact) ",
        r"^(ospf use) ",
        r"^(ospf router id) ",
        r"^(timezone) ",
        r"^(login password)",
        r"^(administrator password)",
        r"^(pp bind) ",
        r"^(tunnel encapsulation) ",
    ),
    literal_no=(),
    default_lines=(),
    global_only=compile_all(
        r"^ip route ", r"^console ", r"^dns ", r"^syslog ", r"^snmp ", r"^schedule "
    ),
    section_exit=compile_all(r"^pp select none$", r"^tunnel select none$"),
)


class Yamaha(SimPlatform):
    rules = YAMAHA_RULES
    config_mode = "admin"
    separator = None
    interface_prefixes = ("lan", "pp", "tunnel", "loopback", "bridge", "vlan")

    def hostname(self, dev: SimDevice) -> str:
        found = dev.running.top(r"^console prompt (\S+)")
        return found[-1].group(1).strip('"') if found else ""

    def prompt(self, dev: SimDevice, sess: Session) -> str:
        if sess.awaiting == "enable-password":
            return "Password: "
        if sess.awaiting == "yn":
            return "Save new configuration ? (Y/N)"
        name = self.hostname(dev)
        if sess.mode == "exec":
            return f"{name}>"
        where = ""
        if sess.section is not None:
            kind, _, num = sess.section.text.split()
            where = f" {kind}{num}"
        return f"{name}{where}#"

    def login_banner(self, dev: SimDevice) -> str:
        return (
            f"\n{dev.model} Rev.14.01.42 (Fri Jan 19 12:37:55 2024)\n"
            "  Copyright (c) 1994-2024 Yamaha Corporation. All Rights Reserved.\n"
            "  To display the software copyright statement, use 'show copyright' command.\n"
            "  00:a0:de:00:00:01, 00:a0:de:00:00:02, 00:a0:de:00:00:03\n"
            "  Memory 256Mbytes, 3LAN\n\n"
        )

    def error(self, line: str) -> str:  # noqa: ARG002 - the interface's signature
        return "Error: Invalid parameter\n"

    def config_text(self, dev: SimDevice, tree: ConfigTree) -> str:
        head = [
            f"# {dev.model} Rev.14.01.42 (Fri Jan 19 12:37:55 2024)",
            "# MAC Address : 00:a0:de:00:00:01, 00:a0:de:00:00:02, 00:a0:de:00:00:03",
            "# Memory 256Mbytes, 3LAN",
            f"# main:  {dev.model} ver=00 serial={dev.serial} MAC-Address=00:a0:de:00:00:01",
            "# Reporting Date: Nov 26 09:00:00 2026",
        ]
        return "\n".join([*head, *tree.lines(indent=" ", separator=None)]) + "\n"

    def factory_default(self, hostname: str, mgmt: str | None, interfaces: tuple[str, ...]) -> str:
        if mgmt is None:
            return f"console prompt {hostname}\n"
        return f"console prompt {hostname}\nip {interfaces[-1]} address {mgmt}\n"

    def handle(self, dev: SimDevice, sess: Session, line: str) -> Reply:  # noqa: PLR0911, PLR0912 - one CLI
        if sess.awaiting == "enable-password":
            sess.awaiting = ""
            if line == dev.password:
                sess.mode = "admin"
                return Reply()
            return Reply("Error: Password is incorrect\n")
        if sess.awaiting == "yn":
            sess.awaiting = ""
            if line[:1].upper() == "Y":
                dev.save()
            sess.mode, sess.section, sess.dirty = "exec", None, False
            return Reply()
        cmd = line.strip()
        if not cmd:
            return Reply()
        if cmd.startswith(("console lines", "console character", "console columns")):
            return Reply()
        if cmd == "administrator":
            if sess.mode == "admin":
                return Reply()
            sess.awaiting = "enable-password"
            return Reply()
        if cmd in {"exit", "quit"}:
            if sess.section is not None:
                sess.section = None
                return Reply()
            if sess.mode == "admin":
                if sess.dirty:
                    sess.awaiting = "yn"
                    return Reply()
                sess.mode = "exec"
                return Reply()
            return Reply(close=True)
        if cmd.startswith("show "):
            return self.show(dev, sess, cmd)
        if sess.mode != "admin":
            return Reply("Error: Invalid command name or Not administrator\n")
        if cmd == "save":
            dev.save()
            sess.dirty = False
            return Reply("Saving ... CONFIG0 Done \n")
        if cmd == "restart":
            dev.reboot()
            return Reply(close=True)
        return self.configure(dev, sess, cmd) or Reply()

    def show(self, dev: SimDevice, sess: Session, cmd: str) -> Reply:  # noqa: ARG002 - the interface's signature
        if cmd in {"show config", "show config 0"}:
            tree = dev.running if cmd == "show config" else dev.startup
            assert tree is not None  # noqa: S101
            return Reply(self.config_text(dev, tree))
        if cmd == "show ip route":
            return Reply(self.ip_route(dev))
        if cmd == "show ip ospf neighbor":
            return Reply(self.ospf_neighbor_table(dev, str.upper))
        if cmd == "show environment":
            return Reply(
                f"{dev.model} BootROM Ver.1.04\n"
                f"{dev.model} Rev.14.01.42 (Fri Jan 19 12:37:55 2024)\n"
                f"  main:  {dev.model} ver=00 serial={dev.serial} MAC-Address=00:a0:de:00:00:01\n"
                "CPU:   1%(5sec)   1%(1min)   1%(5min)    Memory: 20% used\n"
                "Firmware: exec0  Config. file: config0\n"
                "Default firmware: exec0  Default config. file: config0\n"
                "Boot time: 2026/11/01 09:00:00 +09:00\n"
                "Current time: 2026/11/26 09:00:00 +09:00\n"
                f"Elapsed time from boot: {dev.boots}days 00:00:00\n"
                "Security Class: 1, FORGET: ON, TELNET: OFF\n"
                "Inside Temperature(C.): 36\n"
            )
        return Reply("Error: Invalid command name\n")

    def l3_interfaces(self, tree: ConfigTree) -> dict[str, L3]:
        shut = {m.group(1) for m in tree.top(r"^lan shutdown (\S+)$")}
        ospf_on = bool(tree.top(r"^ospf use on$"))
        areas = {m.group(1): ospf_area(m.group(2)) for m in tree.top(r"^ip (\S+) ospf area (\S+)")}
        out: dict[str, L3] = {}
        for m in tree.top(r"^ip (\S+) address (\d+\.\d+\.\d+\.\d+/\d+)$"):
            name = m.group(1)
            area = areas.get(name) if ospf_on else None
            out[name] = L3(name, name not in shut, ipaddress.IPv4Interface(m.group(2)), area)
        return out

    def router_id(self, tree: ConfigTree) -> str | None:
        if not tree.top(r"^ospf use on$"):
            return None
        found = tree.top(r"^ospf router id (\S+)$")
        if found:
            return found[-1].group(1)
        return _highest([i.address for i in self.l3_interfaces(tree).values()])

    def routes(self, tree: ConfigTree) -> list[Route]:
        # Every addressed interface that is up (tagged VLANs such as lan1/1 included).
        out = [
            Route(l3.address.network, "connected", str(l3.address.ip), l3.name.upper())
            for l3 in self.l3_interfaces(tree).values()
            if l3.up and l3.address is not None
        ]
        for m in tree.top(r"^ip route (\S+)((?: gateway \S+(?: weight \d+)?)+)$"):
            prefix = ipaddress.IPv4Network("0.0.0.0/0" if m.group(1) == "default" else m.group(1))
            gateways = re.findall(r"gateway (\S+)(?: weight (\d+))?", m.group(2))
            # Backups (weight 0) enter the table only when no other gateway is usable; the
            # simulator has no failing gateways, so they are shown only when alone.
            active = [g for g, w in gateways if w != "0"] or [g for g, _ in gateways]
            for gateway in active:
                hop = ipaddress.IPv4Address(gateway)
                via = next(
                    (r.interface for r in out if r.kind == "connected" and hop in r.prefix), "LAN1"
                )
                out.append(Route(prefix, "static", gateway, via))
        return out

    def ip_route(self, dev: SimDevice) -> str:
        lines = ["Destination         Gateway          Interface       Kind  Additional Info."]
        for r in self.routes(dev.running):
            dest = "default" if r.prefix.prefixlen == 0 else str(r.prefix)
            kind = "static" if r.kind == "static" else "implicit"
            lines.append(f"{dest:<19} {r.next_hop:<15} {r.interface:>12}  {kind:>8}  ")
        return "\n".join(lines) + "\n"


# --- NEC UNIVERGE IX ----------------------------------------------------------------------

NEC_RULES = TreeRules(
    comment_prefixes=("!",),
    sections=compile_all(
        r"^interface \S+",
        r"^ip router ospf \d+",
        r"^ip ufs-cache",
        r"^ip dhcp profile ",
    ),
    keyed=compile_all(
        r"^(hostname) ",
        r"^(description) ",
        r"^(?:no )?(ip address)(?: |$)",
        r"^(?:no )?(shutdown)$",
        r"^(router-id) ",
        r"^(timezone) ",
        r"^(snmp-agent ip location) ",
        r"^(snmp-agent ip contact) ",
        r"^(ip route \S+ \S+)",
    ),
    literal_no=compile_all(r"^no shutdown$", r"^no ip address$"),
    default_lines=(),
    shown_default=(("ip address", "no ip address"),),
    global_only=compile_all(
        r"^hostname ",
        r"^ip route ",
        r"^ip access-list ",
        r"^ntp ",
        r"^logging ",
        r"^snmp-agent ",
        r"^dns-resolver ",
        r"^timezone ",
        r"^username ",
        r"^no (interface|ip route|ntp|logging|snmp-agent|dns-resolver) ",
    ),
)


class NecIx(SimPlatform):
    rules = NEC_RULES
    indent = "  "
    interface_prefixes = (
        "GigaEthernet",
        "TenGigaEthernet",
        "Loopback",
        "Tunnel",
        "BVI",
        "FastEthernet",
        "USB-Serial",
    )

    def hostname(self, dev: SimDevice) -> str:
        found = dev.running.top(r"^hostname (\S+)")
        return found[-1].group(1) if found else "Router"

    def prompt(self, dev: SimDevice, sess: Session) -> str:
        name = self.hostname(dev)
        if sess.mode != "config":
            return f"{name}#"
        if sess.section is None:
            return f"{name}(config)#"
        text = sess.section.text
        label = (
            text.split()[1]
            if text.startswith("interface ")
            else text.split()[-2]
            if text.startswith("ip router")
            else "x"
        )
        return f"{name}(config-{label})#"

    def login_banner(self, dev: SimDevice) -> str:  # noqa: ARG002 - the interface's signature
        return (
            "\nNEC Portable Internetwork Core Operating System Software\n"
            "Copyright Notices:\n"
            "Copyright (c) NEC Corporation 2001-2024. All rights reserved.\n"
            "Copyright (c) 1985-1998 OpenROUTE Networks, Inc.\n\n"
        )

    def error(self, line: str) -> str:
        return f"% Invalid input detected at '^' marker.\n% Command: {line}\n"

    def config_text(self, dev: SimDevice, tree: ConfigTree) -> str:
        head = [
            "! NEC Portable Internetwork Core Operating System Software",
            f"! IX Series {dev.model.split()[-1]} (magellan-sec) Software, "
            "Version 10.8.21, RELEASE SOFTWARE",
            "! Compiled Jun 14-Fri-2024 14:16:43 JST #2",
            "! Current time Nov 26-Thu-2026 09:00:00 JST",
            "!",
        ]
        return "\n".join([*head, *tree.lines(indent=self.indent), "!"]) + "\n"

    def factory_default(self, hostname: str, mgmt: str | None, interfaces: tuple[str, ...]) -> str:
        lines = [f"hostname {hostname}", "timezone +09 00"]
        for name in interfaces if mgmt is None else interfaces[:-1]:
            lines += [f"interface {name}", "  no ip address", "  shutdown"]
        if mgmt is None:
            return "\n".join(lines) + "\n"
        lines += [f"interface {interfaces[-1]}", f"  ip address {mgmt}", "  no shutdown"]
        return "\n".join(lines) + "\n"

    def handle(self, dev: SimDevice, sess: Session, line: str) -> Reply:  # noqa: PLR0911, PLR0912 - one CLI
        cmd = line.strip()
        if not cmd:
            return Reply()
        if sess.mode != "config":
            if cmd in {"svintr-config", "configure", "enable-config"}:
                sess.mode, sess.section = "config", None
                return Reply()
            if cmd in {"exit", "quit", "logout"}:
                return Reply(close=True)
            if cmd.startswith("terminal"):
                return Reply()
            return self.show(dev, sess, cmd)
        if cmd == "configure":
            sess.section = None
            return Reply()
        if cmd.startswith("terminal"):
            return Reply()
        if cmd == "exit":
            if sess.section is not None:
                sess.section = None
            else:
                sess.mode = "exec"
            return Reply()
        if cmd in {"write memory", "copy running-config startup-config"}:
            dev.save()
            sess.dirty = False
            return Reply(
                "Building configuration...\n% Warning: do NOT enter CNTL/Z while saving "
                "to avoid config corruption.\n[OK]\n"
            )
        if cmd.startswith("show "):
            return self.show(dev, sess, cmd)
        if cmd == "reload":
            dev.reboot()
            return Reply(close=True)
        return self.configure(dev, sess, cmd) or Reply()

    def show(self, dev: SimDevice, sess: Session, cmd: str) -> Reply:  # noqa: ARG002 - the interface's signature
        if matches(cmd, "show running-config") or matches(cmd, "show startup-config"):
            tree = dev.startup if cmd.split()[1].startswith("star") else dev.running
            assert tree is not None  # noqa: S101
            return Reply(self.config_text(dev, tree))
        if matches(cmd, "show ip route"):
            return Reply(self.ip_route(dev))
        if matches(cmd, "show ip ospf neighbor"):
            return Reply(self.ospf_neighbor_table(dev, str))
        if matches(cmd, "show version"):
            return Reply(
                "NEC Portable Internetwork Core Operating System Software\n"
                f"IX Series {dev.model.split()[-1]} (magellan-sec) Software, "
                "Version 10.8.21, RELEASE SOFTWARE\n"
                "Compiled Jun 14-Fri-2024 14:16:43 JST #2\n"
                f"{self.hostname(dev)} uptime is {dev.boots} days, 0 hours, 0 minutes\n"
            )
        return Reply(self.error(cmd))

    def l3_interfaces(self, tree: ConfigTree) -> dict[str, L3]:
        networks: list[tuple[str, int]] = []
        for node in tree.sections(r"^ip router ospf \d+"):
            for child in node.children:
                m = re.match(r"^network (\S+) area (\S+)$", child.text)
                if m:
                    networks.append((m.group(1), ospf_area(m.group(2))))
        out: dict[str, L3] = {}
        for node in tree.sections(r"^interface "):
            name = node.text.split()[1]
            texts = [c.text for c in node.children]
            addr = None
            for text in texts:
                m = re.match(r"^ip address (\d+\.\d+\.\d+\.\d+/\d+)$", text)
                if m:
                    addr = ipaddress.IPv4Interface(m.group(1))
            area = None
            for where, a in networks:
                # The network statement names an interface or a prefix holding its address.
                if where == name or (
                    "/" in where
                    and addr is not None
                    and addr.ip in ipaddress.IPv4Network(where, strict=False)
                ):
                    area = a
                    break
            out[name] = L3(name, "shutdown" not in texts, addr, area)
        return out

    def router_id(self, tree: ConfigTree) -> str | None:
        runs, configured = _ospf_router_id(tree, r"^ip router ospf \d+")
        if not runs or configured:
            return configured
        return _highest([i.address for i in self.l3_interfaces(tree).values() if i.up])

    def routes(self, tree: ConfigTree) -> list[Route]:
        out: list[Route] = []
        for node in tree.sections(r"^interface "):
            name = node.text.split()[1]
            texts = [c.text for c in node.children]
            if "shutdown" in texts:
                continue
            for text in texts:
                m = re.match(r"^ip address (\S+/\d+)$", text)
                if m:
                    iface = ipaddress.IPv4Interface(m.group(1))
                    out.append(Route(iface.network, "connected", "", name))
        for m in tree.top(r"^ip route (\S+) (\S+)(?: distance (\d+))?"):
            prefix = ipaddress.IPv4Network("0.0.0.0/0" if m.group(1) == "default" else m.group(1))
            hop = ipaddress.IPv4Address(m.group(2))
            via = next((r.interface for r in out if hop in r.prefix), "Null0")
            out.append(Route(prefix, "static", m.group(2), via, int(m.group(3) or 1)))
        return out

    def ip_route(self, dev: SimDevice) -> str:
        routes = self.routes(dev.running)
        lines = [
            f"IP Routing Table - {len(routes)} entries, 0 hidden, 2045 frees",
            "Entry Codes: C - Connected, S - Static, R - RIP, O - OSPF, B - BGP",
            "       > - Selected route, * - FIB route, p - Stale route",
            "Timers: Age",
        ]
        for r in sorted(routes, key=lambda r: (r.prefix.network_address, r.prefix.prefixlen)):
            if r.kind == "connected":
                lines.append(
                    f"C    *> {r.prefix} [0/1] is directly connected, {r.interface}, 0:10:00"
                )
            else:
                lines.append(
                    f"S    *> {r.prefix} [{r.distance}/1] via {r.next_hop}, {r.interface}, 0:10:00"
                )
        return "\n".join(lines) + "\n"


PLATFORMS: dict[str, SimPlatform] = {
    "cisco_ios": CiscoIos(),
    "cisco_xe": CiscoIos(xe=True),
    "yamaha": Yamaha(),
    "nec_ix": NecIx(),
}
