"""invoke tasks of the cloud layer (``./inv cloud.<task> --help``)."""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

ROOT = Path(__file__).resolve().parents[2]


def _inventory(path: str | None) -> Path:
    return Path(path).resolve() if path else ROOT / "inventory"


def _stack(name: str) -> object:
    from ictinfra.cloud.stacks import discover

    refs = {r.id: r for r in discover()}
    if name not in refs:
        raise Exit(f"unknown stack '{name}'; stacks: {', '.join(sorted(refs))}", code=2)
    return refs[name]


@task(
    help={
        "inventory": "inventory folder (default: inventory/)",
        "out": "output folder (default: build/)",
    }
)
def plan(c: Context, inventory: str | None = None, out: str | None = None) -> None:
    """Offline plan of every stack under Pulumi's mocks (build/stacks/), policies, placement."""
    from ictinfra.cloud.step import cloud_step
    from ictinfra.inventory import InventoryError, load_inventory
    from ictinfra.render.output import write_atomic

    try:
        inv = load_inventory(_inventory(inventory))
    except InventoryError as exc:
        raise Exit(str(exc), code=1) from exc
    result = cloud_step(inv)
    target = Path(out).resolve() if out else ROOT / "build"
    for rel, content in sorted(result.artifacts.items()):
        write_atomic(target / rel, content)
        print(f"wrote {target / rel}")
    if result.problems:
        raise Exit("\n".join(result.problems), code=1)


@task(
    help={
        "stack": "stack id, e.g. vsphere-prod (default: every stack)",
        "inventory": "inventory folder (default: inventory/)",
        "factor": "place a synthetic estate of this many copies of the inventory's VMs and hosts",
        "overcommit": "vCPU overcommit ratio (default: the stack's)",
    }
)
def place(
    c: Context,
    stack: str | None = None,
    inventory: str | None = None,
    factor: int = 1,
    overcommit: float | None = None,
) -> None:
    """Place every VM with N+1 headroom; print hosts used vs the lower bound, per-host load."""
    from ictinfra.cloud.errors import PlacementError
    from ictinfra.cloud.estate import estate_from_inventory, synthetic
    from ictinfra.cloud.placement import place as do_place
    from ictinfra.cloud.stacks import StackRef, discover
    from ictinfra.inventory import InventoryError, load_inventory

    try:
        inv = load_inventory(_inventory(inventory))
    except InventoryError as exc:
        raise Exit(str(exc), code=1) from exc
    refs = [r for r in discover() if stack is None or r.id == stack]
    if not refs:
        raise Exit(f"unknown stack '{stack}'", code=2)
    failed = []
    for ref in refs:
        assert isinstance(ref, StackRef)  # noqa: S101
        s = ref.settings
        estate = synthetic(
            estate_from_inventory(inv, s.clusters, s.batches, s.host_platform()), factor
        )
        ratio = overcommit or s.vcpu_overcommit
        try:
            p = do_place(estate, ratio)
        except PlacementError as exc:
            failed.append(f"{ref.id}: {exc}")
            continue
        print(
            f"{ref.id}: {len(estate.vms)} VMs on {len(p.hosts_used)} of {p.pool} hosts "
            f"(lower bound {p.lower_bound}; vCPU overcommit {ratio:g})"
        )
        for load in p.loads:
            print(
                f"  {load.host:<20} {load.vms:>4} VMs  "
                f"vCPU {load.used[0]:>5}/{load.capacity[0]:<5} "
                f"mem {load.used[1]:>6}/{load.capacity[1]:<6} GB  "
                f"disk {load.used[2]:>7}/{load.capacity[2]} GB"
            )
    if failed:
        raise Exit("\n".join(failed), code=1)


def _automation(name: str, deploy: bool) -> None:
    from ictinfra.cloud.automation import run
    from ictinfra.cloud.errors import CloudError
    from ictinfra.cloud.stacks import StackRef

    ref = _stack(name)
    assert isinstance(ref, StackRef)  # noqa: S101
    try:
        print(run(ref, ROOT / "build" / "pulumi-state", deploy=deploy))
    except CloudError as exc:
        raise Exit(str(exc), code=1) from exc


@task(help={"stack": "stack id, e.g. vsphere-prod"})
def preview(c: Context, stack: str) -> None:
    """Real preview (Automation API, local file backend, policy pack); says what is missing."""
    _automation(stack, deploy=False)


@task(help={"stack": "stack id, e.g. vsphere-prod"})
def up(c: Context, stack: str) -> None:
    """Deploy (Automation API, local file backend, policy pack); says what is missing."""
    _automation(stack, deploy=True)


ns = Collection("cloud", plan, place, preview, up)
