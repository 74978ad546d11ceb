"""Who is cabled to whom in the simulated network, and which adjacencies that gives.

The cabling comes from the inventory: interfaces whose addresses share a subnet are on one
segment (a LAN, a VLAN, or a WAN /30). A replacement is cabled where its predecessor was,
through the inventory's ``interface_map``; interfaces of its own that map to nothing join
the segment of their own address.

What a device *sees* on that cabling is computed from the running configurations at the
moment of the show command, so that it is consistent with them:

- a port takes part only while its interface is up (not shut, parent not shut) and has an
  address;
- a predecessor's port is displaced once its replacement's mapped interface is up with the
  same address (two devices cannot hold one address: the cable has moved);
- CDP runs between Cisco devices on every such pair of ports;
- an OSPF adjacency needs OSPF on both interfaces, the same area, and both addresses in one
  subnet; the designated router is the highest router id on the segment (priority 1 for
  all), so two non-designated routers stay in 2WAY, as on hardware;
- the fault ``drop_neighbours`` hides neighbours from one device (lost hellos).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ictinfra.inventory.model import Inventory, Lifecycle

if TYPE_CHECKING:
    from ictinfra.netmig.sim.device import SimDevice
    from ictinfra.netmig.sim.platforms import L3, SimPlatform


@dataclass(frozen=True)
class Port:
    host: str  # inventory hostname
    interface: str


@dataclass(frozen=True)
class Adjacency:
    """One neighbour as a device shows it."""

    protocol: str  # "cdp" or "ospf"
    local_interface: str
    peer: str  # the inventory hostname of the neighbour
    peer_name: str  # its configured hostname (what CDP prints)
    peer_interface: str
    peer_address: str
    peer_platform: str  # netmiko device type
    peer_model: str
    router_id: str = ""  # OSPF: the neighbour's router id
    state: str = ""  # OSPF: FULL/DR, 2WAY/DROTHER, ...


@dataclass
class Topology:
    """Segments of ports, and each predecessor's successor with its interface map."""

    segments: dict[str, list[Port]] = field(default_factory=dict)
    successors: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    _by_host: dict[str, list[tuple[str, Port]]] | None = field(default=None, repr=False)

    @classmethod
    def from_inventory(cls, inv: Inventory) -> Topology:
        topo = cls()

        def attach(net: ipaddress.IPv4Network, port: Port) -> None:
            ports = topo.segments.setdefault(str(net), [])
            if port not in ports:
                ports.append(port)

        for dev in inv.devices:
            if dev.lifecycle is Lifecycle.CURRENT or dev.replaces is None:
                for iface in dev.interfaces:
                    if iface.address is not None:
                        attach(iface.address.network, Port(dev.hostname, iface.name))
        for dev in inv.replacements():
            if dev.replaces is None:
                continue
            old = inv.devices_by_hostname[dev.replaces]
            topo.successors[old.hostname] = (dev.hostname, dict(dev.interface_map))
            covered = set()
            for iface in old.interfaces:
                if iface.address is not None:
                    name = dev.interface_map.get(iface.name, iface.name)
                    attach(iface.address.network, Port(dev.hostname, name))
                    covered.add(name)
            for iface in dev.interfaces:
                if iface.address is not None and iface.name not in covered:
                    attach(iface.address.network, Port(dev.hostname, iface.name))
        return topo

    def ports_of(self, host: str) -> list[tuple[str, Port]]:
        if self._by_host is None:  # built once: fleets of a thousand devices ask often
            index: dict[str, list[tuple[str, Port]]] = {}
            for seg, ports in self.segments.items():
                for p in ports:
                    index.setdefault(p.host, []).append((seg, p))
            self._by_host = index
        return self._by_host.get(host, [])


class Network:
    """The topology together with the live devices (the fleet's), read at show time."""

    def __init__(self, topology: Topology, devices: dict[str, SimDevice]) -> None:
        self.topology = topology
        self.devices = devices

    def _state(self, memo: dict[str, dict[str, L3]], host: str, interface: str) -> L3 | None:
        from ictinfra.netmig.sim.platforms import PLATFORMS  # noqa: PLC0415 - import cycle

        if host not in memo:
            dev = self.devices.get(host)
            memo[host] = {} if dev is None else PLATFORMS[dev.platform].l3_interfaces(dev.running)
        return memo[host].get(interface)

    def _active(self, memo: dict[str, dict[str, L3]], port: Port) -> L3 | None:
        """The port's interface state if it takes part on its segment now, else None."""
        state = self._state(memo, port.host, port.interface)
        if state is None or not state.up or state.address is None:
            return None
        succ = self.topology.successors.get(port.host)
        if succ is not None:
            new_host, imap = succ
            other = self._state(memo, new_host, imap.get(port.interface, port.interface))
            if (
                other is not None
                and other.up
                and other.address is not None
                and other.address.ip == state.address.ip
            ):
                return None  # displaced by its replacement
        return state

    def adjacencies(self, host: str) -> list[Adjacency]:
        from ictinfra.netmig.sim.platforms import PLATFORMS  # noqa: PLC0415 - import cycle

        me = self.devices[host]
        cli: SimPlatform = PLATFORMS[me.platform]
        my_rid = cli.router_id(me.running)
        out: list[Adjacency] = []
        # Each device's interfaces are parsed once per question, not once per port.
        memo: dict[str, dict[str, L3]] = {}
        for _seg, port in self.topology.ports_of(host):
            mine = self._active(memo, port)
            if mine is None or mine.address is None:
                continue
            peers: list[tuple[Port, L3]] = []
            for seg_port in self.topology.segments[_seg]:
                if seg_port.host == host or seg_port.host not in self.devices:
                    continue
                state = self._active(memo, seg_port)
                if state is not None:
                    peers.append((seg_port, state))
            speakers: list[tuple[str, str]] = []  # (router id, host) of OSPF speakers
            if mine.ospf_area is not None and my_rid is not None:
                speakers.append((my_rid, host))
            ospf_peers: dict[str, str] = {}
            for p, state in peers:
                peer_dev = self.devices[p.host]
                rid = PLATFORMS[peer_dev.platform].router_id(peer_dev.running)
                if (
                    speakers
                    and rid is not None
                    and state.ospf_area is not None
                    and state.ospf_area == mine.ospf_area
                    and state.address is not None
                    and state.address.network == mine.address.network
                ):
                    speakers.append((rid, p.host))
                    ospf_peers[p.host] = rid
            ranked = sorted(speakers, key=lambda s: int(ipaddress.IPv4Address(s[0])), reverse=True)
            role = {
                h: ("DR" if i == 0 else "BDR" if i == 1 else "DROTHER")
                for i, (_, h) in enumerate(ranked)
            }
            for p, state in peers:
                peer_dev = self.devices[p.host]
                peer_cli = PLATFORMS[peer_dev.platform]
                name = peer_cli.hostname(peer_dev)
                if me.faults.drops_neighbour(p.host) or me.faults.drops_neighbour(name):
                    continue
                common = {
                    "peer": p.host,
                    "peer_name": name,
                    "peer_address": str(state.address.ip) if state.address else "",
                    "peer_platform": peer_dev.platform,
                    "peer_model": peer_dev.model,
                }
                if cli.speaks_cdp and peer_cli.speaks_cdp:
                    out.append(
                        Adjacency(
                            protocol="cdp",
                            local_interface=cli.physical(port.interface),
                            peer_interface=peer_cli.physical(p.interface),
                            **common,
                        )
                    )
                if p.host in ospf_peers:
                    # Two routers that are neither DR nor BDR stop at 2WAY (RFC 2328 10.4).
                    full = not (role[host] == role[p.host] == "DROTHER")
                    state_text = f"FULL/{role[p.host]}" if full else "2WAY/DROTHER"
                    out.append(
                        Adjacency(
                            protocol="ospf",
                            local_interface=port.interface,
                            peer_interface=p.interface,
                            router_id=ospf_peers[p.host],
                            state=state_text,
                            **common,
                        )
                    )
        return out
