"""invoke tasks: ``lab.*`` (podman, images, topologies) and ``roles.*`` (Ansible)."""

from __future__ import annotations

import time
from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from ictinfra.lab import ansible, images, podman, topology
from ictinfra.lab.errors import LabError

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"


@task
def setup(c: Context) -> None:
    """Make podman work here (runc, cgroupfs, file events, ulimits); a working one is left alone."""
    try:
        result = podman.setup()
    except LabError as exc:
        raise Exit(str(exc), code=1) from exc
    print(result.message)


@task(
    help={
        "only": "comma-separated image names (default: all)",
        "force": "rebuild even when current",
    }
)
def images_(c: Context, only: str | None = None, force: bool = False) -> None:
    """Build the lab images from Debian (debootstrap, import, build); current ones are kept."""
    names = tuple(n.strip() for n in only.split(",") if n.strip()) if only else None
    started = time.monotonic()
    try:
        results = images.build_images(names, force=force, progress=print)
    except LabError as exc:
        raise Exit(str(exc), code=1) from exc
    for r in results:
        print(f"{r.ref:32} {r.action:5} {r.seconds:6.1f} s")
    print(f"images: {time.monotonic() - started:.1f} s")


@task(help={"topology": f"one of: {', '.join(topology.available_topologies())} (default: default)"})
def up(c: Context, topology_: str = "default") -> None:
    """Bring a lab topology up (builds missing images) and write its Ansible inventory."""
    try:
        podman.setup()
        topo = topology.load_topology(topology_)
        inventory = topology.up(topo, BUILD, progress=print)
        if topo.name == "isolation":
            _prepare_isolation(topo)
    except LabError as exc:
        raise Exit(str(exc), code=1) from exc
    print(f"lab {topo.name!r} is up: {len(topo.hosts)} containers; inventory {inventory}")


def _prepare_isolation(topo: topology.Topology) -> None:
    """The isolation lab: probe addresses and routes, the gateway's ruleset by the role."""
    from ictinfra.inventory import InventoryError, load_inventory
    from ictinfra.isolation.errors import IsolationError
    from ictinfra.isolation.policy import ALPHA
    from ictinfra.isolation.probe import prepare

    try:
        prepare(topo, BUILD, load_inventory(ROOT / "inventory"), ALPHA, progress=print)
    except (InventoryError, IsolationError) as exc:
        raise Exit(str(exc), code=1) from exc


@task
def down(c: Context) -> None:
    """Remove every container and network of the lab (only those carrying the project label)."""
    try:
        containers, networks = topology.down()
    except LabError as exc:
        raise Exit(str(exc), code=1) from exc
    print(f"removed {len(containers)} containers, {len(networks)} networks")


@task
def status(c: Context) -> None:
    """List the lab's containers and networks."""
    try:
        rows = topology.status()
    except LabError as exc:
        raise Exit(str(exc), code=1) from exc
    if not rows:
        print("the lab is down")
    for row in rows:
        line = f"{row['kind']:9} {row['name']:36} {row['topology']:10} {row['state']:16}"
        print(f"{line} {row['image']}")


@task(
    help={
        "limit": "only these hosts or groups (Ansible --limit)",
        "check": "dry run: show what would change (--check --diff)",
        "inventory": "a real inventory folder or file (default: the running lab)",
        "topology": "the lab topology (when no inventory is given)",
        "playbook": "playbook under playbooks/ (default: site.yml)",
    }
)
def apply(
    c: Context,
    limit: str | None = None,
    check: bool = False,
    inventory: str | None = None,
    topology_: str = "default",
    playbook: str = "site.yml",
) -> None:
    """Apply the roles to the lab (default) or to a real inventory."""
    try:
        if inventory:
            target = Path(inventory).resolve()
            extra: dict[str, str] = {}
        else:
            topo = topology.load_topology(topology_)
            target = topology.state_dir(topo, BUILD) / "hosts.yml"
            extra = topology.lab_environment(topo, BUILD)
        result = ansible.apply(target, playbook, limit=limit, check=check, extra_env=extra)
    except LabError as exc:
        raise Exit(str(exc), code=1) from exc
    if not result.ok:
        raise Exit(f"ansible-playbook failed (exit {result.returncode})", code=result.returncode)


@task
def lint(c: Context) -> None:
    """ansible-lint, profile production, offline."""
    result = ansible.lint(stream=True)
    if not result.ok:
        raise Exit("ansible-lint found problems", code=1)


@task(help={"role": "only this role (default: every role with a Molecule scenario)"})
def test(c: Context, role: str | None = None) -> None:
    """Molecule (create, converge, idempotence, check, verify, destroy) for each role."""
    try:
        podman.setup()
        images.build_images()
        failed = [
            r
            for r in ([role] if role else ansible.roles())
            if not ansible.molecule(r, stream=True).ok
        ]
    except LabError as exc:
        raise Exit(str(exc), code=1) from exc
    if failed:
        raise Exit(f"Molecule failed for: {', '.join(failed)}", code=1)


ns = Collection("lab", setup, up, down, status)
ns.add_task(images_, name="images")
roles_ns = Collection("roles", apply, lint, test)
