"""The isolation lab on podman, probed with real packets (``./inv policy.probe``).

``lab.up --topology isolation`` starts one container network per zone, the isolation
gateway on all of them and a probe host in each (``ictinfra/lab/topologies/isolation.yml``);
``prepare`` then gives each probe host the inventory addresses the policy's flows name
(the tax server, the virtual browser, the bastion...) plus one plain address of its zone,
routes it through the gateway, renders the gateway's ruleset from the inventory and has
the ``isolation_gateway`` role install it (``ansible-playbook``, podman connection).

The lab uses the inventory's own subnets, so the ruleset is installed verbatim and the
verifier reads the same addresses the packets carry: nothing is translated. A zone's
network carries only the segments whose addresses the probes need.

``probe`` tries a TCP connection (a UDP datagram answered by a responder) from every
probe address to every other zone's probe addresses on the policy's ports and a sample
of denied ones, and compares what passed with the verifier's answer (on the ruleset in
force on the gateway) and with the policy's.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ictinfra.inventory.model import Inventory, Protocol
from ictinfra.isolation.errors import IsolationError
from ictinfra.isolation.generate import NFT_TABLE, Gateway, gateways, render_nftables
from ictinfra.isolation.parse_nft import parse_nftables
from ictinfra.isolation.policy import (
    Profile,
    allowed_paths,
    permitted_flows,
    zone_intervals,
)
from ictinfra.isolation.space import PROTO_NAMES
from ictinfra.isolation.verify import Verification, decide, policy_decides, verify
from ictinfra.lab import ansible, topology
from ictinfra.lab.errors import LabError
from ictinfra.lab.podman import Run, podman
from ictinfra.render.output import write_atomic

TOPOLOGY = "isolation"
GATEWAY_GROUP = "role_isolation_gateway"
PROBE_GROUP = "probes"
PLAYBOOK = "isolation_gateway.yml"
#: Where the role installs the ruleset (its default isolation_gateway_config_dir).
DEPLOYED_RULESET = "/etc/ictinfra/isolation/ruleset.nft"
#: Ports no flow of the example opens: each should be dropped between every two zones.
DENIED_SAMPLE: tuple[tuple[str, int], ...] = (
    ("tcp", 80),
    ("tcp", 445),
    ("tcp", 8080),
    ("udp", 161),
)
SERVER_PID = "/run/ictinfra-probe-server.pid"

Address = ipaddress.IPv4Address


class ProbeError(IsolationError):
    """The isolation lab is not there, not consistent with the inventory, or not probed."""


@dataclass(frozen=True, order=True)
class Service:
    protocol: str  # tcp or udp
    port: int

    def __str__(self) -> str:
        return f"{self.protocol}/{self.port}"


@dataclass(frozen=True, order=True)
class Point:
    """One address a probe host holds: a server the policy names, or a plain zone address."""

    zone: str
    address: Address
    prefixlen: int
    label: str  # "SYS-901 vb-cb01" or "zone"


@dataclass(frozen=True)
class Sample:
    source: Point
    destination: Point
    service: Service


@dataclass(frozen=True)
class Answer:
    """What each of the three said about one sample (None: not permitted / not passed)."""

    sample: Sample
    observed: bool
    verifier: str | None  # the rule that permits it, as the verifier read the ruleset
    policy: str | None  # the policy path that allows it

    @property
    def agrees(self) -> bool:
        return self.observed == (self.verifier is not None) == (self.policy is not None)


Matrix = dict[tuple[str, str], tuple[str, ...]]


@dataclass(frozen=True)
class ProbeReport:
    zones: tuple[str, ...]
    answers: tuple[Answer, ...]
    ruleset_source: str
    verifier_problems: tuple[str, ...]
    seconds: float
    # Packets the gateway's default deny dropped while probing (None: no such rule): every
    # closed sample sent at least one, so fewer would mean packets lost before the gateway.
    dropped_at_gateway: int | None = None

    @property
    def closed(self) -> int:
        return sum(1 for a in self.answers if not a.observed)

    def matrix(self, which: str) -> Matrix:
        """Zone to zone: the services at least one sample of the pair was open on."""
        cells: dict[tuple[str, str], set[Service]] = {}
        for a in self.answers:
            opened = {
                "observed": a.observed,
                "verifier": a.verifier is not None,
                "policy": a.policy is not None,
            }[which]
            key = (a.sample.source.zone, a.sample.destination.zone)
            cells.setdefault(key, set())
            if opened:
                cells[key].add(a.sample.service)
        return {k: tuple(str(s) for s in sorted(v)) for k, v in sorted(cells.items())}

    @property
    def differences(self) -> tuple[Answer, ...]:
        return tuple(a for a in self.answers if not a.agrees)

    @property
    def ok(self) -> bool:
        return not self.differences


# --- what to probe ----------------------------------------------------------------------


def services(inv: Inventory, prof: Profile) -> tuple[Service, ...]:
    """The ports of the policy's flows, and the denied sample."""
    out = {
        Service(str(svc.protocol), svc.port)
        for flow in permitted_flows(inv, prof)
        for svc in flow.services
        if svc.protocol in (Protocol.TCP, Protocol.UDP) and svc.port is not None
    }
    out.update(Service(proto, port) for proto, port in DENIED_SAMPLE)
    return tuple(sorted(out))


def _lab_subnets(topo: topology.Topology) -> dict[str, tuple[ipaddress.IPv4Network, ...]]:
    """Zone -> the subnets of its lab network (networks are named after the zones)."""
    return {net.name: net.all_subnets for net in topo.networks if net.internal}


def probe_points(inv: Inventory, prof: Profile, topo: topology.Topology) -> dict[str, list[Point]]:
    """Each zone's probe addresses: the first server of every system a permitted flow
    names in that zone, and one plain address of the zone (the last of its first lab
    subnet) for flows from or to the whole zone. Every address must lie in a segment of
    its zone and in the zone's lab network: otherwise ``ProbeError`` says which."""
    lab = _lab_subnets(topo)
    segments = {seg.id: seg for seg in inv.segments}
    servers = {str(s.address) for sys in inv.systems for s in sys.servers}
    problems: list[str] = []
    points: dict[str, dict[Address, Point]] = {z: {} for z in lab}

    def segment_of(zone: str, addr: Address) -> ipaddress.IPv4Network | None:
        for seg in segments.values():
            if seg.zone == zone and addr in seg.subnet:
                return seg.subnet
        return None

    def add(zone: str, addr: Address, label: str) -> None:
        subnet = segment_of(zone, addr)
        if subnet is None:
            problems.append(f"{label} {addr}: in no segment of zone {zone}")
        elif not any(addr in net for net in lab[zone]):
            problems.append(
                f"{label} {addr}: subnet {subnet} is not on the lab network {zone!r} "
                f"(add it to {topo.name}.yml)"
            )
        else:
            points[zone].setdefault(addr, Point(zone, addr, subnet.prefixlen, label))

    for zone, subnets in lab.items():
        plain = subnets[0].broadcast_address - 1
        if str(plain) in servers:
            problems.append(f"zone {zone}: the plain probe address {plain} is a server's")
        add(zone, plain, "zone")
    for flow in permitted_flows(inv, prof):
        for zone, system in (
            (flow.source_zone, flow.source_system),
            (flow.destination_zone, flow.destination_system),
        ):
            if zone not in lab or system is None:
                continue
            mine = sorted(
                (s for s in inv.systems_by_id[system].servers if segments[s.segment].zone == zone),
                key=lambda s: s.address,
            )
            if mine:
                add(zone, mine[0].address, f"{system} {mine[0].name}")
    missing = sorted({z.id for z in inv.zones if z.kind.value != "wan"} - set(lab))
    if missing:
        problems.append(f"zone(s) without a lab network in {topo.name}.yml: {', '.join(missing)}")
    if problems:
        raise ProbeError("the isolation lab does not fit the inventory:\n" + "\n".join(problems))
    return {z: sorted(p.values()) for z, p in points.items()}


def samples(points: Mapping[str, list[Point]], svcs: Iterable[Service]) -> list[Sample]:
    """Every probe address to every other zone's, on every service (inside a zone packets
    do not cross the gateway)."""
    every = [p for ps in points.values() for p in ps]
    return [Sample(s, d, svc) for s in every for d in every if s.zone != d.zone for svc in svcs]


# --- the lab ------------------------------------------------------------------------------


def _host_in(topo: topology.Topology, group: str) -> list[topology.LabHost]:
    return [h for h in topo.hosts if group in h.groups]


def _gateway_host(topo: topology.Topology, inv: Inventory) -> tuple[topology.LabHost, Gateway]:
    hosts = _host_in(topo, GATEWAY_GROUP)
    if len(hosts) != 1:
        raise ProbeError(f"{topo.name}.yml needs exactly one host in group {GATEWAY_GROUP}")
    known = {g.name: g for g in gateways(inv)}
    if hosts[0].name not in known:
        raise ProbeError(
            f"lab gateway {hosts[0].name!r} is not an isolation gateway of the inventory "
            f"({', '.join(sorted(known))})"
        )
    return hosts[0], known[hosts[0].name]


def _probe_hosts(topo: topology.Topology) -> dict[str, topology.LabHost]:
    """Zone -> its probe host (a probe host is on its zone's network only)."""
    out: dict[str, topology.LabHost] = {}
    for host in _host_in(topo, PROBE_GROUP):
        if len(host.networks) != 1:
            raise ProbeError(f"probe host {host.name} must be on exactly one zone network")
        out[host.networks[0]] = host
    return out


def _exec(container: str, *args: str, stdin: bytes | None = None, timeout: float = 300) -> Run:
    try:
        return podman("exec", "-i", container, *args, stdin=stdin, timeout=timeout)
    except LabError as exc:
        raise ProbeError(str(exc)) from exc


def _checked(result: Run) -> Run:
    if not result.ok:
        raise ProbeError(result.detail())
    return result


def ruleset_path(topo: topology.Topology, build_root: Path, name: str) -> Path:
    return topology.state_dir(topo, build_root) / f"{name}.nft"


@dataclass(frozen=True)
class Prepared:
    inventory: Path  # the lab's Ansible inventory
    ruleset: Path  # what the role installed
    points: dict[str, list[Point]]


def prepare(
    topo: topology.Topology,
    build_root: Path,
    inv: Inventory,
    prof: Profile,
    *,
    ruleset: str | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> Prepared:
    """Address and route the probe hosts, and install the gateway's ruleset with the role
    (the one rendered from the inventory, or ``ruleset``'s text). Idempotent."""
    gw_host, gw = _gateway_host(topo, inv)
    probes = _probe_hosts(topo)
    points = probe_points(inv, prof, topo)
    try:
        addrs = topology.addresses(topo)
    except LabError as exc:
        raise ProbeError(f"the {topo.name} lab is not up ({exc}): ./inv lab.up") from exc
    for zone, host in sorted(probes.items()):
        via = addrs[gw_host.name][zone]
        script = [f"ip addr replace {p.address}/{p.prefixlen} dev eth0" for p in points[zone]]
        script.append(f"ip route replace default via {via}")
        _checked(_exec(topo.container(host.name), "sh", "-ec", "\n".join(script)))
    progress(f"probe hosts addressed: {sum(len(p) for p in points.values())} addresses")

    text = ruleset if ruleset is not None else render_nftables(inv, prof, gw)
    path = ruleset_path(topo, build_root, gw.name)
    write_atomic(path, text)
    hosts_yml = topology.state_dir(topo, build_root) / "hosts.yml"
    data: dict[str, Any] = yaml.safe_load(hosts_yml.read_text(encoding="utf-8"))
    data["all"]["vars"]["isolation_gateway_ruleset_file"] = str(path)
    write_atomic(hosts_yml, yaml.safe_dump(data, sort_keys=False))
    try:
        env = topology.lab_environment(topo, build_root)
        result = ansible.apply(hosts_yml, PLAYBOOK, extra_env=env, stream=False)
    except LabError as exc:
        raise ProbeError(str(exc)) from exc
    if not result.ok:
        raise ProbeError(f"the isolation_gateway role failed on the lab:\n{result.output[-4000:]}")
    progress(f"isolation_gateway role applied to {gw_host.name}")
    return Prepared(hosts_yml, path, points)


# --- probing ------------------------------------------------------------------------------

# Runs on each probe host: a TCP listener and a UDP echo on every port, in the background.
SERVER = """
import os, socket, sys, threading
tcp = [int(p) for p in sys.argv[1].split(",") if p]
udp = [int(p) for p in sys.argv[2].split(",") if p]
def accept(s):
    while True:
        c, _ = s.accept(); c.close()
def echo(s):
    while True:
        data, peer = s.recvfrom(512); s.sendto(data, peer)
for port in tcp:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64)
    threading.Thread(target=accept, args=(s,), daemon=True).start()
# One UDP socket per address: the answer leaves from the address the datagram was sent
# to (a socket on 0.0.0.0 answers from the interface's first address, which the asker's
# connected socket ignores).
for port in udp:
    for addr in sys.argv[4].split(","):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, port))
        threading.Thread(target=echo, args=(s,), daemon=True).start()
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.replace(sys.argv[3] + ".tmp", sys.argv[3])
threading.Event().wait()
"""

# Runs on each probe host: one try per target, bound to the target's source address.
PROBE = """
import json, socket, sys, concurrent.futures as cf
targets = json.load(sys.stdin); timeout = float(sys.argv[1])
def attempt(t):
    src, dst, proto, port = t
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind); s.settimeout(timeout)
    try:
        s.bind((src, 0)); s.connect((dst, port))
        if proto == "tcp":
            return True
        s.send(b"ictinfra-probe"); return s.recv(512) == b"ictinfra-probe"
    except OSError:
        return False
    finally:
        s.close()
with cf.ThreadPoolExecutor(max_workers=128) as pool:
    print(json.dumps(list(pool.map(attempt, targets))))
"""


def _start_servers(
    topo: topology.Topology,
    probes: Mapping[str, topology.LabHost],
    points: Mapping[str, list[Point]],
    svcs: Iterable[Service],
) -> None:
    tcp = ",".join(str(s.port) for s in svcs if s.protocol == "tcp")
    udp = ",".join(str(s.port) for s in svcs if s.protocol == "udp")
    for zone, host in probes.items():
        ref = topo.container(host.name)
        mine = ",".join(str(p.address) for p in points[zone])
        _stop_server(ref)
        _checked(podman("exec", "-d", ref, "python3", "-c", SERVER, tcp, udp, SERVER_PID, mine))
    for host in probes.values():
        ref = topo.container(host.name)
        for _ in range(100):
            if _exec(ref, "test", "-s", SERVER_PID).ok:
                break
            time.sleep(0.1)
        else:
            raise ProbeError(f"the listeners on {host.name} did not start")


def _stop_server(container: str) -> None:
    _exec(
        container,
        "sh",
        "-c",
        f'[ ! -s {SERVER_PID} ] || kill "$(cat {SERVER_PID})"; rm -f {SERVER_PID}',
    )


def _try(container: str, batch: list[Sample], timeout: float) -> list[bool]:
    targets = [
        [str(s.source.address), str(s.destination.address), s.service.protocol, s.service.port]
        for s in batch
    ]
    done = _checked(
        _exec(container, "python3", "-c", PROBE, str(timeout), stdin=json.dumps(targets).encode())
    )
    result = json.loads(done.stdout)
    if not isinstance(result, list) or len(result) != len(batch):
        raise ProbeError(f"probe on {container} answered {done.stdout[:200]!r}")
    return [bool(x) for x in result]


def observe(
    topo: topology.Topology,
    probes: Mapping[str, topology.LabHost],
    todo: list[Sample],
    timeout: float,
) -> dict[Sample, bool]:
    """Try every sample from its source zone's probe host, the hosts in parallel."""
    by_zone: dict[str, list[Sample]] = {}
    for s in todo:
        by_zone.setdefault(s.source.zone, []).append(s)
    out: dict[Sample, bool] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(by_zone))) as pool:
        futures = {
            zone: pool.submit(_try, topo.container(probes[zone].name), batch, timeout)
            for zone, batch in by_zone.items()
        }
        for zone, fut in futures.items():
            out.update(zip(by_zone[zone], fut.result(), strict=True))
    return out


def require_up(topo: topology.Topology) -> None:
    """Every container of the lab runs, or ``ProbeError`` says how to bring it up."""
    for host in topo.hosts:
        state = podman(
            "container", "inspect", "--format", "{{.State.Running}}", topo.container(host.name)
        )
        if not state.ok or state.stdout.strip() != "true":
            raise ProbeError(
                f"the {topo.name} lab is not up ({topo.container(host.name)} is not running): "
                f"./inv lab.up --topology {topo.name}"
            )


_DEFAULT_DENY = re.compile(r'counter packets (\d+) bytes \d+ drop comment "default deny"')


def default_deny_packets(topo: topology.Topology, inv: Inventory) -> int | None:
    """The packet counter of the gateway's default-deny rule (None: the rule is not there)."""
    gw_host, _ = _gateway_host(topo, inv)
    listed = _exec(
        topo.container(gw_host.name), "nft", "list", "chain", "inet", NFT_TABLE, "forward"
    )
    found = _DEFAULT_DENY.search(listed.stdout) if listed.ok else None
    return int(found.group(1)) if found else None


def deployed_ruleset(topo: topology.Topology, inv: Inventory) -> str:
    gw_host, _ = _gateway_host(topo, inv)
    return _checked(_exec(topo.container(gw_host.name), "cat", DEPLOYED_RULESET)).stdout


def probe(
    topo: topology.Topology,
    inv: Inventory,
    prof: Profile,
    *,
    timeout: float = 1.0,
    progress: Callable[[str], None] = lambda _msg: None,
) -> ProbeReport:
    """Probe the running lab; compare with the verifier (on the ruleset in force on the
    gateway) and with the policy. A sample that did not pass where the verifier or the
    policy expects it to is tried once more with a longer wait (a loaded machine), never
    the other way round: a packet that passed did pass."""
    started = time.monotonic()
    gw_host, gw = _gateway_host(topo, inv)
    probes = _probe_hosts(topo)
    points = probe_points(inv, prof, topo)
    svcs = services(inv, prof)
    require_up(topo)
    text = deployed_ruleset(topo, inv)
    source = f"{gw_host.name}:{DEPLOYED_RULESET}"
    result: Verification = verify(
        parse_nftables(text, source, gw.name),
        allowed_paths(inv, prof),
        zone_intervals(inv),
        prof.name.value,
    )
    paths = allowed_paths(inv, prof)
    todo = samples(points, svcs)
    expected: dict[Sample, tuple[str | None, str | None]] = {}
    for s in todo:
        src, dst = str(s.source.address), str(s.destination.address)
        proto = PROTO_NAMES[s.service.protocol]
        expected[s] = (
            decide(result, src, dst, proto, s.service.port),
            policy_decides(paths, src, dst, proto, s.service.port),
        )
    _start_servers(topo, probes, points, svcs)
    before = default_deny_packets(topo, inv)
    try:
        progress(f"probing {len(todo)} samples from {len(probes)} zones")
        seen = observe(topo, probes, todo, timeout)
        again = [s for s in todo if not seen[s] and any(x is not None for x in expected[s])]
        if again:
            progress(f"trying {len(again)} closed samples again with a longer wait")
            seen.update(observe(topo, probes, again, timeout * 4))
    finally:
        for host in probes.values():
            _stop_server(topo.container(host.name))
    after = default_deny_packets(topo, inv)
    answers = tuple(Answer(s, seen[s], *expected[s]) for s in todo)
    return ProbeReport(
        zones=tuple(sorted(points)),
        answers=answers,
        ruleset_source=source,
        verifier_problems=result.problems,
        seconds=time.monotonic() - started,
        dropped_at_gateway=None if before is None or after is None else after - before,
    )


# --- the report -----------------------------------------------------------------------------


def matrix_text(title: str, zones: tuple[str, ...], matrix: Matrix) -> str:
    width = max(12, *(len(" ".join(v)) for v in matrix.values())) if matrix else 12
    corner = "from \\ to"
    head = f"{corner:<10} " + " ".join(f"{z:<{width}}" for z in zones)
    lines = [title, head]
    for src in zones:
        cells = []
        for dst in zones:
            if src == dst:
                cells.append(f"{'(zone)':<{width}}")
            else:
                cells.append(f"{' '.join(matrix.get((src, dst), ())) or '-':<{width}}")
        lines.append(f"{src:<10} " + " ".join(cells))
    return "\n".join(lines)


def difference_text(a: Answer) -> str:
    s = a.sample
    return (
        f"{s.source.zone} {s.source.address} ({s.source.label}) -> "
        f"{s.destination.zone} {s.destination.address} ({s.destination.label}) {s.service}: "
        f"observed {'open' if a.observed else 'closed'}; "
        f"verifier {a.verifier or 'closed'}; policy {a.policy or 'closed'}"
    )


def report_text(report: ProbeReport) -> str:
    parts = [
        matrix_text(
            f"observed ({len(report.answers)} samples)", report.zones, report.matrix("observed")
        ),
        matrix_text(f"verifier ({report.ruleset_source})", report.zones, report.matrix("verifier")),
        matrix_text("policy", report.zones, report.matrix("policy")),
    ]
    if report.dropped_at_gateway is not None:
        parts.append(
            f"{report.closed} sample(s) closed; the gateway's default deny dropped "
            f"{report.dropped_at_gateway} packet(s) meanwhile"
        )
    if report.verifier_problems:
        parts.append("verifier problems:\n" + "\n".join(report.verifier_problems))
    diffs = report.differences
    parts.append(
        f"{len(diffs)} difference(s)"
        + (":\n" + "\n".join(map(difference_text, diffs)) if diffs else "")
    )
    return "\n\n".join(parts)
