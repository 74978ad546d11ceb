"""The simulator fleet: many SSH devices in one asyncio loop, one loopback port per device.

The loop runs in a background thread so that tests (and the bench) drive the fleet with
real netmiko sessions from the same process, flip faults, and reboot devices while it runs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
import zlib
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

import asyncssh

from ictinfra.inventory.model import Device, Inventory, Lifecycle
from ictinfra.netmig.errors import SimulatorError
from ictinfra.netmig.sim.configtree import ConfigTree
from ictinfra.netmig.sim.device import Session, SimDevice
from ictinfra.netmig.sim.platforms import PLATFORMS, SimPlatform
from ictinfra.netmig.sim.topology import Network, Topology
from ictinfra.render.devices import render_device

LOOPBACK = "127.0.0.1"


class _Server(asyncssh.SSHServer):
    def __init__(self, fleet: Fleet, dev: SimDevice) -> None:
        self.fleet = fleet
        self.dev = dev
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        if time.monotonic() < self.dev.down_until:
            conn.abort()  # still booting: as good as refused
            return
        self.fleet.connections.setdefault(self.dev.hostname, set()).add(conn)

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: ARG002 - asyncssh's signature
        if self.conn is not None:
            self.fleet.connections.get(self.dev.hostname, set()).discard(self.conn)

    def begin_auth(self, username: str) -> bool:  # noqa: ARG002 - asyncssh's signature
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        if self.dev.faults.auth_fail:
            return False
        return username == self.dev.username and password == self.dev.password


async def _write(process: asyncssh.SSHServerProcess[str], text: str) -> None:
    process.stdout.write(text.replace("\r\n", "\n").replace("\n", "\r\n"))
    await asyncio.sleep(0)


async def _run_session(dev: SimDevice, process: asyncssh.SSHServerProcess[str]) -> None:  # noqa: PLR0912 - a line discipline
    """One CLI session: echo, line discipline, and the platform's command handling."""
    cli: SimPlatform = PLATFORMS[dev.platform]
    sess = Session()
    await _write(process, cli.login_banner(dev) + cli.prompt(dev, sess))
    line = ""
    last = ""
    try:
        while not sess.closed:
            data = await process.stdin.read(4096)
            if not data:
                break
            for ch in data:
                if ch == "\n" and last == "\r":
                    last = ch
                    continue
                last = ch
                if sess.awaiting == "yn" and ch not in "\r\n":
                    await _answer(dev, cli, sess, process, ch)
                    continue
                if ch in "\r\n" or ch == "\x1a":
                    if sess.awaiting != "enable-password":
                        await _write(process, "\n")
                    typed = "end" if ch == "\x1a" else line
                    line = ""
                    await _answer(dev, cli, sess, process, typed)
                    if sess.closed:
                        break
                elif ch == "\x03":
                    line = ""
                    await _write(process, "\n" + cli.prompt(dev, sess))
                elif ch in "\x08\x7f":
                    line = line[:-1]
                else:
                    line += ch
                    if sess.awaiting != "enable-password":
                        process.stdout.write(ch)
    except (asyncssh.Error, OSError, ConnectionError):
        return
    finally:
        if sess.mode == "config" or (dev.platform == "yamaha" and sess.mode == "admin"):
            dev.closed_in_config += 1
        if not process.is_closing():
            process.exit(0)


async def _answer(
    dev: SimDevice,
    cli: SimPlatform,
    sess: Session,
    process: asyncssh.SSHServerProcess[str],
    typed: str,
) -> None:
    delay = dev.faults.delay_for(typed)
    if delay:
        await asyncio.sleep(delay)
        if process.is_closing():
            return  # the client hung up meanwhile: typed-ahead input is discarded
    reply = cli.handle(dev, sess, typed)
    if reply.close:
        sess.closed = True
        if reply.text:
            await _write(process, reply.text)
        # A dropped connection is a TCP reset, not a polite channel close.
        process.channel.get_connection().abort()
        return
    await _write(process, reply.text + cli.prompt(dev, sess))


class Fleet:
    """Simulated devices on loopback, each on its own port; start/stop are idempotent."""

    def __init__(
        self,
        devices: Iterable[SimDevice],
        host: str = LOOPBACK,
        topology: Topology | None = None,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise SimulatorError(f"the simulator listens on loopback only, not {host}")
        self.host = host
        self.devices: dict[str, SimDevice] = {d.hostname: d for d in devices}
        if topology is not None:
            network = Network(topology, self.devices)
            for dev in self.devices.values():
                dev.network = network
        self.ports: dict[str, int] = {}
        self.connections: dict[str, set[asyncssh.SSHServerConnection]] = {}
        self._servers: dict[str, asyncssh.SSHAcceptor] = {}
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._key: asyncssh.SSHKey | None = None

    def __enter__(self) -> Fleet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def device(self, hostname: str) -> SimDevice:
        return self.devices[hostname]

    def _call(self, coro: Any, timeout: float = 120.0) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result(timeout)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sim-fleet", daemon=True
        )
        self._thread.start()
        self._call(self._start_all())

    async def _start_all(self) -> None:
        self._key = asyncssh.generate_private_key("ssh-ed25519")
        for hostname in self.devices:
            await self._listen(hostname, self.ports.get(hostname, 0))

    async def _listen(self, hostname: str, port: int) -> None:
        dev = self.devices[hostname]
        assert self._key is not None  # noqa: S101 - set in _start_all

        async def handler(process: asyncssh.SSHServerProcess[str]) -> None:
            await _run_session(dev, process)

        server = await asyncssh.create_server(
            lambda: _Server(self, dev),
            self.host,
            port,
            server_host_keys=[self._key],
            process_factory=handler,
            line_editor=False,
            encoding="utf-8",
            keepalive_interval=0,
            reuse_address=True,
        )
        self._servers[hostname] = server
        self.ports[hostname] = server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._thread is None:
            return
        self._call(self._stop_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    async def _stop_all(self) -> None:
        for conns in self.connections.values():
            for conn in list(conns):
                conn.abort()
        for server in self._servers.values():
            server.close()
        self._servers.clear()
        # Session handlers still waiting on input end here, not as "destroyed pending" tasks.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def reboot(self, hostname: str, downtime: float = 1.0) -> None:
        """Cut every session, refuse connections for ``downtime`` s, boot from startup."""
        self._call(self._reboot(hostname, downtime))

    async def _reboot(self, hostname: str, downtime: float) -> None:
        for conn in list(self.connections.get(hostname, ())):
            conn.abort()
        server = self._servers.pop(hostname)
        server.close()
        self.devices[hostname].reboot()

        async def come_back() -> None:
            await asyncio.sleep(downtime)
            await self._listen(hostname, self.ports[hostname])

        self._loop.create_task(come_back())

    def endpoints(self) -> dict[str, dict[str, Any]]:
        """What a client needs per device: host, port, netmiko device type."""
        return {
            h: {"host": self.host, "port": self.ports[h], "device_type": d.platform}
            for h, d in self.devices.items()
        }


# --- building a fleet from the inventory ---------------------------------------------------


def sim_device(
    inv: Inventory, dev: Device, username: str, password: str, serial: str = ""
) -> SimDevice:
    """A simulated device: current ones run their rendered config, new ones a staged one."""
    cli = PLATFORMS[str(dev.platform)]
    if dev.lifecycle is Lifecycle.CURRENT:
        text = render_device(inv, dev)
    else:
        mgmt = next(
            (
                i
                for i in dev.interfaces
                if i.address is not None and i.address.ip == dev.mgmt_address
            ),
            None,
        )
        if mgmt is None or mgmt.address is None:
            # Managed out of band: staged with its name only, every port at its default.
            names = tuple(i.name for i in dev.interfaces)
            text = cli.factory_default(dev.hostname, None, names)
        else:
            names = (*(i.name for i in dev.interfaces if i is not mgmt), mgmt.name)
            text = cli.factory_default(dev.hostname, str(mgmt.address), names)
    return SimDevice(
        hostname=dev.hostname,
        platform=str(dev.platform),
        model=dev.model,
        running=ConfigTree.parse(cli.rules, text),
        username=username,
        password=password,
        serial=serial or f"SIM{zlib.crc32(dev.hostname.encode()) % 10**8:08d}",
    )


def inventory_fleet(inv: Inventory, username: str, password: str) -> Fleet:
    """The inventory's devices, cabled as the inventory says (see ``topology``)."""
    return Fleet(
        (sim_device(inv, d, username, password) for d in inv.devices),
        topology=Topology.from_inventory(inv),
    )
