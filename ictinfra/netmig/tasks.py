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
    from ictinfra.inventory.model import Inventory

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


ns = Collection("net")
ns.add_task(simulate)
