"""invoke tasks: thin commands over the ictinfra library (``./inv --list``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from ictinfra.cloud.tasks import ns as cloud_ns
from ictinfra.isolation.tasks import ns as policy_ns
from ictinfra.lab.tasks import ns as lab_ns
from ictinfra.lab.tasks import roles_ns
from ictinfra.mailsan.tasks import ns as mail_ns
from ictinfra.netmig.tasks import ns as netmig_ns
from ictinfra.netmig.tasks import simulate

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # the venv's tools, whether or not it is activated
DEFAULT_INVENTORY = ROOT / "inventory"
DEFAULT_OUT = ROOT / "build"


def _inventory(path: str | None) -> Path:
    return Path(path).resolve() if path else DEFAULT_INVENTORY


@task(help={"inventory": "inventory folder (default: inventory/)"})
def validate(c: Context, inventory: str | None = None) -> None:
    """Load and check the whole inventory; print every problem as file:line: message."""
    from ictinfra.inventory import InventoryError, load_inventory

    folder = _inventory(inventory)
    try:
        inv = load_inventory(folder)
    except InventoryError as exc:
        raise Exit(str(exc), code=1) from exc
    print(
        f"{folder}: valid — {len(inv.sites)} sites, {len(inv.segments)} segments, "
        f"{len(inv.devices)} devices, {len(inv.systems)} systems, "
        f"{sum(len(s.servers) for s in inv.systems)} servers, {len(inv.flows)} flows"
    )


@task(
    help={
        "inventory": "inventory folder (default: inventory/)",
        "out": "output folder (default: build/)",
        "jobs": "steps run at once in separate processes (default: one per CPU; 1: serial)",
    }
)
def plan(
    c: Context, inventory: str | None = None, out: str | None = None, jobs: int | None = None
) -> None:
    """The main job: validate, render and check every artifact, write the report; no device."""
    from ictinfra.inventory.errors import IctinfraError
    from ictinfra.plan import run_plan

    target = Path(out).resolve() if out else DEFAULT_OUT
    try:
        result = run_plan(_inventory(inventory), target, jobs=jobs)
    except IctinfraError as exc:  # every layer's error: a message, not a traceback
        raise Exit(f"{exc}\nnothing written; {target} is unchanged", code=1) from exc
    print(f"plan: {len(result.artifacts)} artifacts in {result.out}")
    print(f"report: {result.out / 'report' / 'index.html'}")


@task(help={"fix": "apply ruff's fixes and formatting"})
def lint(c: Context, fix: bool = False) -> None:
    """ruff and mypy (strict) on the library, the tasks and the tests."""
    if fix:
        c.run(f"{BIN}/ruff check --fix . && {BIN}/ruff format .")
    c.run(f"{BIN}/ruff check .")
    c.run(f"{BIN}/ruff format --check .")
    c.run(f"{BIN}/mypy")


@task(
    help={
        "k": "only tests matching this pytest expression",
        "fast": "skip the system-package step and the linters",
    }
)
def test(c: Context, k: str | None = None, fast: bool = False) -> None:
    """The whole suite: system packages the tests need, linters, then pytest."""
    if not fast:
        c.run(f"bash {ROOT / 'tools' / 'ensure-system-packages'}")
        lint(c)
    workers = os.environ.get("ICTINFRA_TEST_WORKERS", "auto")
    selection = f" -k {k!r}" if k else ""
    c.run(f"{sys.executable} -m pytest -n {workers}{selection}")


ns = Collection(validate, plan, lint, test)
# One namespace per layer; each layer's tasks live beside it in ictinfra/<layer>/tasks.py.
for layer in (netmig_ns, cloud_ns, mail_ns, lab_ns, roles_ns, policy_ns):
    ns.add_collection(layer)
# The device simulator fleet is part of the lab too (`./inv lab.devices`).
lab_ns.add_task(simulate, name="devices")
