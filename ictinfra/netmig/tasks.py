"""``net.*`` tasks: thin commands over ictinfra.netmig (the lab fleet, backup, translate...)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

if TYPE_CHECKING:
    from collections.abc import Callable

    from ictinfra.inventory.model import Device, Inventory
    from ictinfra.netmig.credentials import Credentials
    from ictinfra.netmig.endpoints import Endpoint

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INVENTORY = ROOT / "inventory"
STATE = ROOT / "state"


def _load(inventory: str | None) -> Inventory:
    from ictinfra.inventory import InventoryError, load_inventory

    try:
        return load_inventory(Path(inventory).resolve() if inventory else DEFAULT_INVENTORY)
    except InventoryError as exc:
        raise Exit(str(exc), code=1) from exc


@task(
    help={
        "inventory": "inventory folder (default: inventory/)",
        "credentials_env": "variable holding the lab password (default: the inventory's ref)",
        "out": "where to write the endpoints (default: state/lab/devices.json)",
        "seconds": "stop after this many seconds (default: run until Ctrl-C)",
    }
)
def simulate(
    c: Context,
    inventory: str | None = None,
    credentials_env: str | None = None,
    out: str | None = None,
    seconds: float = 0.0,
) -> None:
    """Start the device simulator fleet (lab.devices) on 127.0.0.1, one port per device."""
    from ictinfra.inventory.model import SecretRef
    from ictinfra.netmig.credentials import resolve
    from ictinfra.netmig.errors import NetmigError
    from ictinfra.netmig.sim.server import inventory_fleet

    inv = _load(inventory)
    ref = SecretRef(env=credentials_env) if credentials_env else inv.organisation.device_credentials
    try:
        creds = resolve(ref)
    except NetmigError as exc:
        raise Exit(str(exc), code=1) from exc
    target = Path(out).resolve() if out else STATE / "lab" / "devices.json"
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with inventory_fleet(inv, creds.username, creds.secret()) as fleet:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(fleet.endpoints(), indent=2) + "\n", encoding="utf-8")
        print(f"{len(fleet.devices)} simulated devices on 127.0.0.1; endpoints in {target}")
        stop.wait(seconds or None)


def _endpoints(inv: Inventory, lab: str | None) -> dict[str, Endpoint]:
    from ictinfra.netmig.endpoints import inventory_endpoints
    from ictinfra.netmig.errors import NetmigError

    try:
        return inventory_endpoints(inv, Path(lab).resolve() if lab else None)
    except NetmigError as exc:
        raise Exit(str(exc), code=1) from exc


def _credentials(env: str | None) -> Callable[[Inventory, Device], Credentials]:
    from ictinfra.inventory.model import SecretRef
    from ictinfra.netmig.credentials import device_credentials, resolve

    if env is None:
        return device_credentials
    ref = SecretRef(env=env)
    return lambda _inv, _dev: resolve(ref)


@task(
    help={
        "inventory": "inventory folder (default: inventory/)",
        "hosts": "comma-separated hostnames (default: every device)",
        "lab": "lab endpoints file from net.simulate (default: production management addresses)",
        "credentials_env": "variable holding every device's password (default: inventory refs)",
        "out": "backup repository (default: state/backups)",
        "workers": "devices backed up at once",
        "retries": "extra attempts after a transient failure",
    }
)
def backup(
    c: Context,
    inventory: str | None = None,
    hosts: str | None = None,
    lab: str | None = None,
    credentials_env: str | None = None,
    out: str | None = None,
    workers: int = 16,
    retries: int = 2,
) -> None:
    """Back up running configs in parallel into a git-versioned folder, with diffs per run."""
    from ictinfra.netmig.backup import backup as run_backup
    from ictinfra.netmig.errors import NetmigError

    inv = _load(inventory)
    folder = Path(out).resolve() if out else STATE / "backups"
    try:
        run = run_backup(
            inv,
            _endpoints(inv, lab),
            folder,
            hosts=hosts.split(",") if hosts else None,
            credentials=_credentials(credentials_env),
            workers=workers,
            retries=retries,
        )
    except NetmigError as exc:
        raise Exit(str(exc), code=1) from exc
    for r in run.results:
        state = "changed" if r.changed else "same" if r.ok else f"FAILED ({r.error})"
        print(f"{r.hostname:<24} {state:<10} attempts={r.attempts} {r.seconds:.2f}s")
    print(f"run {run.run_id}: commit {run.commit}; diff in {folder / 'runs' / run.run_id}")
    if run.failed:
        raise Exit(f"{len(run.failed)} device(s) failed", code=1)


@task(
    help={
        "source_file": "the old device's configuration",
        "from_": "its platform (cisco_ios, cisco_xe, yamaha)",
        "to": "the replacement's platform (cisco_ios, cisco_xe, nec_ix)",
        "map": "interface renames, e.g. lan1=GigaEthernet0.0,lan2=GigaEthernet1.0",
        "waive": "regular expression of unsupported lines to accept (repeatable)",
        "hostname": "the new hostname (default: the source's)",
    },
    iterable=["waive"],
)
def translate(
    c: Context,
    source_file: str,
    from_: str,
    to: str,
    map: str | None = None,  # noqa: A002 - the option reviewers type
    waive: list[str] | None = None,
    hostname: str | None = None,
) -> None:
    """Translate a config file to another platform; print it and the line accounting."""
    from ictinfra.inventory.model import Platform
    from ictinfra.netmig.errors import NetmigError
    from ictinfra.netmig.translate import accounting_report, translate_text

    try:
        text = Path(source_file).read_text(encoding="utf-8")
        pairs = [p.split("=", 1) for p in map.split(",")] if map else []
        result = translate_text(
            text,
            Platform(from_),
            Platform(to),
            interface_map=dict(pairs),
            hostname=hostname or "",
            waivers=tuple(f"re:{w}" for w in waive or ()),
        )
    except (OSError, ValueError, NetmigError) as exc:
        raise Exit(f"translate: {exc}", code=2) from exc
    if result.config:
        print(result.config, end="")
    print(accounting_report(result), end="")
    if not result.ok:
        raise Exit(
            f"{len(result.blocking)} unsupported line(s): nothing rendered (waive or extend)",
            code=1,
        )


ns = Collection("net")
ns.add_task(simulate)
ns.add_task(backup)
ns.add_task(translate)
