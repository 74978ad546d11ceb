"""The isolation lab on plain network namespaces: a gateway namespace joined to one host
namespace per zone by veth pairs, the generated ruleset loaded into the gateway, and real
TCP connections probed between the hosts. Needs root, ``ip`` (iproute2) and ``nft``.

Only namespaces this module creates are touched; every name carries a per-run prefix
and ``NetLab`` removes them on exit, whatever happened.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ictinfra.isolation.errors import IsolationError

SERVER = """
import socket, sys, threading
ports = [int(p) for p in sys.argv[1:]]
socks = []
for p in ports:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p)); s.listen(16); socks.append(s)
def serve(s):
    while True:
        c, _ = s.accept(); c.close()
for s in socks:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"""

PROBE = """
import json, socket, sys, concurrent.futures as cf
targets = json.loads(sys.argv[1]); timeout = float(sys.argv[2])
def probe(t):
    s = socket.socket(); s.settimeout(timeout)
    try:
        s.connect((t[0], t[1])); return True
    except OSError:
        return False
    finally:
        s.close()
with cf.ThreadPoolExecutor(max_workers=32) as pool:
    print(json.dumps(list(pool.map(probe, targets))))
"""


class LabError(IsolationError):
    """The lab could not be built or probed."""


@dataclass(frozen=True)
class LabHost:
    name: str  # the zone it stands in
    address: ipaddress.IPv4Interface  # host address with its segment's prefix length
    gateway: ipaddress.IPv4Address  # the gateway's address on that segment


def _run(*args: str) -> str:
    done = subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=30)
    if done.returncode != 0:
        raise LabError(f"{' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


@dataclass
class NetLab:
    """Context manager: build on enter, remove every namespace on exit."""

    hosts: tuple[LabHost, ...]
    prefix: str = field(default_factory=lambda: f"ict{os.getpid() % 100000}")
    _servers: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def gateway_ns(self) -> str:
        return f"{self.prefix}-gw"

    def ns(self, host: LabHost) -> str:
        return f"{self.prefix}-{host.name}"[:15]

    def __enter__(self) -> NetLab:
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _build(self) -> None:
        gw = self.gateway_ns
        _run("ip", "netns", "add", gw)
        _run("ip", "-n", gw, "link", "set", "lo", "up")
        _run("ip", "netns", "exec", gw, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for i, host in enumerate(self.hosts):
            ns = self.ns(host)
            _run("ip", "netns", "add", ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
            gw_if, host_if = f"z{i}", "eth0"
            _run(
                "ip",
                "link",
                "add",
                gw_if,
                "netns",
                gw,
                "type",
                "veth",
                "peer",
                "name",
                host_if,
                "netns",
                ns,
            )
            prefix = host.address.network.prefixlen
            _run("ip", "-n", gw, "addr", "add", f"{host.gateway}/{prefix}", "dev", gw_if)
            _run("ip", "-n", gw, "link", "set", gw_if, "up")
            _run("ip", "-n", ns, "addr", "add", str(host.address), "dev", host_if)
            _run("ip", "-n", ns, "link", "set", host_if, "up")
            _run("ip", "-n", ns, "route", "add", "default", "via", str(host.gateway))

    def load(self, ruleset: Path) -> None:
        """Load a ruleset into the gateway, as the role would (``nft -f``)."""
        _run("ip", "netns", "exec", self.gateway_ns, "nft", "-f", str(ruleset))

    def serve(self, ports: list[int]) -> None:
        for host in self.hosts:
            proc = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    self.ns(host),
                    sys.executable,
                    "-c",
                    SERVER,
                    *map(str, ports),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            self._servers.append(proc)
            assert proc.stdout is not None  # noqa: S101 - PIPE was asked for
            if proc.stdout.readline().strip() != "ready":
                raise LabError(f"listener in {self.ns(host)} did not start")

    def probe(
        self, targets: list[tuple[LabHost, LabHost, int]], timeout: float = 0.5
    ) -> dict[tuple[str, str, int], bool]:
        """Try a TCP connection for each (source, destination, port); True if it opened."""
        out: dict[tuple[str, str, int], bool] = {}
        for src in self.hosts:
            mine = [(d, p) for s, d, p in targets if s == src]
            if not mine:
                continue
            args = json.dumps([[str(d.address.ip), p] for d, p in mine])
            result = json.loads(
                _run(
                    "ip",
                    "netns",
                    "exec",
                    self.ns(src),
                    sys.executable,
                    "-c",
                    PROBE,
                    args,
                    str(timeout),
                )
            )
            for (d, p), opened in zip(mine, result, strict=True):
                out[(src.name, d.name, p)] = bool(opened)
        return out

    def close(self) -> None:
        for proc in self._servers:
            proc.kill()
            proc.wait(timeout=5)
        self._servers.clear()
        for name in [self.gateway_ns, *(self.ns(h) for h in self.hosts)]:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
