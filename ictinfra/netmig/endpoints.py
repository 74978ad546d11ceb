"""Where each device is reached: its management address, or the lab fleet's port for it."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ictinfra.inventory.model import Inventory
from ictinfra.netmig.errors import NetmigError

LAB_FILE = Path("state") / "lab" / "devices.json"


class Endpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hostname: str
    host: str
    port: int = 22
    device_type: str


def inventory_endpoints(inv: Inventory, lab_file: Path | None = None) -> dict[str, Endpoint]:
    """Production endpoints (management address, port 22), or the lab's from ``lab_file``."""
    if lab_file is None:
        return {
            d.hostname: Endpoint(
                hostname=d.hostname, host=str(d.mgmt_address), device_type=str(d.platform)
            )
            for d in inv.devices
        }
    try:
        raw = json.loads(lab_file.read_text(encoding="utf-8"))
        lab = {h: Endpoint(hostname=h, **v) for h, v in raw.items()}
    except (OSError, ValueError, TypeError, ValidationError) as exc:
        raise NetmigError(f"{lab_file}: cannot read the lab endpoints: {exc}") from exc
    missing = sorted(d.hostname for d in inv.devices if d.hostname not in lab)
    if missing:
        raise NetmigError(f"{lab_file}: no lab endpoint for {', '.join(missing)}")
    return {d.hostname: lab[d.hostname] for d in inv.devices}
