"""Named lab topologies (``topologies/<name>.yml``): bring them up, down, and report them.

Every container and network made here carries the project label and the topology name;
``down`` removes only what carries the project label, so other containers on the machine
are never touched. Containers publish no ports: they listen only on the lab's own
container networks.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ictinfra.lab.errors import LabError
from ictinfra.lab.images import IMAGES_BY_NAME, build_images
from ictinfra.lab.podman import PROJECT, PROJECT_LABEL, checked, podman, run

TOPOLOGY_LABEL = "org.ictinfra.lab.topology"
TOPOLOGIES_DIR = Path(__file__).resolve().parent / "topologies"
NAME = r"^[a-z][a-z0-9-]{0,30}$"
#: The lab's own secret: the environment variable carrying the lab vendor's public key.
LAB_VENDOR_KEY_ENV = "ICTINFRA_LAB_VENDOR_KEY"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabNetwork(_Frozen):
    name: Annotated[str, Field(pattern=NAME)]
    subnet: ipaddress.IPv4Network
    # More subnets on the same bridge (a zone of several segments); each host gets an
    # address in every one of them.
    subnets: tuple[ipaddress.IPv4Network, ...] = ()
    # No route out through the host: a host reaches other networks only through a
    # container routing for it (the isolation lab's gateway).
    internal: bool = False

    @property
    def all_subnets(self) -> tuple[ipaddress.IPv4Network, ...]:
        return (self.subnet, *self.subnets)


class LabHost(_Frozen):
    name: Annotated[str, Field(pattern=NAME)]
    image: str
    networks: tuple[str, ...] = Field(min_length=1)
    groups: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], ...] = ()
    cap_add: tuple[str, ...] = ()


class Topology(_Frozen):
    name: Annotated[str, Field(pattern=NAME)]
    description: str = ""
    networks: tuple[LabNetwork, ...]
    hosts: tuple[LabHost, ...] = Field(min_length=1)
    vars: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Topology:
        problems: list[str] = []
        nets = [n.name for n in self.networks]
        hosts = [h.name for h in self.hosts]
        for kind, names in (("network", nets), ("host", hosts)):
            dups = sorted({n for n in names if names.count(n) > 1})
            if dups:
                problems.append(f"duplicate {kind} name(s): {', '.join(dups)}")
        for host in self.hosts:
            if host.image not in IMAGES_BY_NAME:
                problems.append(f"host {host.name}: unknown image {host.image!r}")
            problems.extend(
                f"host {host.name}: unknown network {net!r}"
                for net in host.networks
                if net not in nets
            )
        subnets = [(n.name, s) for n in self.networks for s in n.all_subnets]
        for i, (a, sa) in enumerate(subnets):
            problems.extend(
                f"networks {a} and {b} overlap" if a != b else f"network {a}: subnets overlap"
                for b, sb in subnets[i + 1 :]
                if sa.overlaps(sb)
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def container(self, host: str) -> str:
        return f"ictinfra-{self.name}-{host}"

    def network(self, name: str) -> str:
        return f"ictinfra-{self.name}-{name}"


def available_topologies() -> list[str]:
    return sorted(p.stem for p in TOPOLOGIES_DIR.glob("*.yml"))


def load_topology(name: str, directory: Path = TOPOLOGIES_DIR) -> Topology:
    path = directory / f"{name}.yml"
    if not path.is_file():
        raise LabError(f"no topology {name!r}; known: {', '.join(available_topologies())}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LabError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise LabError(f"{path}: expected a mapping")
    try:
        return Topology.model_validate({"name": name, **data})
    except ValidationError as exc:
        raise LabError(f"{path}: {exc}") from exc


def _labels(topo: Topology) -> list[str]:
    return ["--label", f"{PROJECT_LABEL}={PROJECT}", "--label", f"{TOPOLOGY_LABEL}={topo.name}"]


def state_dir(topo: Topology, root: Path) -> Path:
    return root / "lab" / topo.name


def up(
    topo: Topology, build_root: Path, progress: Callable[[str], None] = lambda _msg: None
) -> Path:
    """Build missing images, create the networks and start the containers (idempotent).

    Returns the Ansible inventory written for this topology.
    """
    build_images(tuple(sorted({h.image for h in topo.hosts})), progress=progress)
    for net in topo.networks:
        ref = topo.network(net.name)
        if not podman("network", "exists", ref).ok:
            args = [arg for sub in net.all_subnets for arg in ("--subnet", str(sub))]
            args += ["--internal"] if net.internal else []
            checked(podman("network", "create", *_labels(topo), *args, ref))
    for host in topo.hosts:
        ref = topo.container(host.name)
        if podman("container", "exists", ref).ok:
            checked(podman("start", ref))
            continue
        args = ["run", "-d", "--name", ref, "--hostname", host.name, *_labels(topo)]
        for net_name in host.networks:
            args += ["--network", topo.network(net_name)]
        for cap in host.cap_add:
            args += ["--cap-add", cap]
        image = IMAGES_BY_NAME[host.image]
        if image.name == "systemd":
            args += ["--systemd=always", "--stop-timeout", "2"]
        checked(podman(*args, image.ref))
    state = state_dir(topo, build_root)
    state.mkdir(parents=True, exist_ok=True)
    _vendor_key(state)
    inventory = state / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(lab_inventory(topo, addresses(topo)), sort_keys=False), encoding="utf-8"
    )
    return inventory


def _vendor_key(state: Path) -> Path:
    """The lab vendor's key pair (lab only; never a real vendor's key)."""
    key = state / "vendor_ed25519"
    if not key.exists():
        checked(
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lab-vendor", "-f", str(key)])
        )
    return key


def vendor_public_key(topo: Topology, build_root: Path) -> str:
    path = state_dir(topo, build_root) / "vendor_ed25519.pub"
    if not path.is_file():
        raise LabError(f"the lab {topo.name!r} is not up: run ./inv lab.up --topology {topo.name}")
    return path.read_text(encoding="utf-8").strip()


def addresses(topo: Topology) -> dict[str, dict[str, str]]:
    """Each host's address on each lab network, as podman assigned them."""
    out: dict[str, dict[str, str]] = {}
    for host in topo.hosts:
        data = json.loads(checked(podman("container", "inspect", topo.container(host.name))).stdout)
        nets = data[0]["NetworkSettings"]["Networks"]
        out[host.name] = {net: nets[topo.network(net)]["IPAddress"] for net in host.networks}
    return out


def lab_inventory(topo: Topology, addrs: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """The static Ansible inventory of a running topology: the same groups and ictinfra_*
    variables the real inventory plugin gives, reached over podman's connection."""
    groups: dict[str, list[str]] = {}
    for host in topo.hosts:
        for group in host.groups:
            groups.setdefault(group, []).append(host.name)
    hostvars = {
        host.name: {
            "ansible_connection": "ictinfra.lab.podman",
            "ansible_host": topo.container(host.name),
            "ansible_python_interpreter": "/usr/bin/python3",
            "ictinfra_address": next(iter(addrs[host.name].values())),
            "ictinfra_os": "Debian 12",
            "ictinfra_lab_addresses": dict(addrs[host.name]),
        }
        for host in topo.hosts
    }
    return {
        "all": {
            "vars": dict(topo.vars),
            "hosts": hostvars,
            "children": {
                name: {"hosts": dict.fromkeys(members)} for name, members in sorted(groups.items())
            },
        }
    }


def down(name: str | None = None) -> tuple[list[str], list[str]]:
    """Remove every container and network carrying the project label (only those of the
    topology ``name`` if given); nothing else."""
    only = ("--filter", f"label={TOPOLOGY_LABEL}={name}") if name else ()
    containers = _labelled("ps", "-a", "--format", "{{.Names}}", *only)
    if containers:
        # A container stopping on its own while podman stops it makes `rm --force` fail
        # ("container state improper"); what is left is removed on a second pass.
        first = podman("rm", "--force", "--time", "2", *containers)
        if not first.ok:
            left = _labelled("ps", "-a", "--format", "{{.Names}}", *only)
            if left:
                checked(podman("rm", "--force", "--time", "0", *left))
    networks = _labelled("network", "ls", "--format", "{{.Name}}", *only)
    if networks:
        checked(podman("network", "rm", *networks))
    return containers, networks


def _labelled(*args: str) -> list[str]:
    listed = checked(podman(*args, "--filter", f"label={PROJECT_LABEL}={PROJECT}"))
    return sorted(line.strip() for line in listed.stdout.splitlines() if line.strip())


def status() -> list[dict[str, str]]:
    """One row per lab container and network: kind, name, topology, state."""
    rows: list[dict[str, str]] = []
    listed = checked(
        podman("ps", "-a", "--filter", f"label={PROJECT_LABEL}={PROJECT}", "--format", "json")
    )
    for item in json.loads(listed.stdout or "[]"):
        labels = item.get("Labels") or {}
        rows.append(
            {
                "kind": "container",
                "name": item["Names"][0],
                "topology": labels.get(TOPOLOGY_LABEL, ""),
                "state": item.get("State", ""),
                "image": item.get("Image", ""),
            }
        )
    nets = checked(
        podman("network", "ls", "--filter", f"label={PROJECT_LABEL}={PROJECT}", "--format", "json")
    )
    for item in json.loads(nets.stdout or "[]"):
        labels = item.get("labels") or {}
        subnets = ",".join(s.get("subnet", "") for s in item.get("subnets") or [])
        rows.append(
            {
                "kind": "network",
                "name": item["name"],
                "topology": labels.get(TOPOLOGY_LABEL, ""),
                "state": subnets,
                "image": "",
            }
        )
    return rows


def lab_environment(topo: Topology, build_root: Path) -> dict[str, str]:
    """What Ansible runs against the lab need on top of the usual environment: the lab
    vendor's (non-secret, lab-only) public key, and the static YAML inventory plugin
    (ansible.cfg enables only ictinfra's plugin, for the real inventory)."""
    return {
        LAB_VENDOR_KEY_ENV: vendor_public_key(topo, build_root),
        "ANSIBLE_INVENTORY_ENABLED": "yaml",
    }
