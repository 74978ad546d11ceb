"""Run a simulator fleet in its own process: ``python -m ictinfra.netmig.sim``.

The password is read from an environment variable, never from the command line. The
endpoints file is written once every device listens; SIGTERM or SIGINT stops the fleet.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from ictinfra.inventory import load_inventory
from ictinfra.netmig.sim.server import inventory_fleet
from ictinfra.render.output import write_atomic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inventory", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--username", default="ictinfra")
    parser.add_argument("--password-env", default="ICTINFRA_LAB_PASSWORD")
    args = parser.parse_args(argv)
    password = os.environ.get(args.password_env)
    if not password:
        print(f"set {args.password_env}", file=sys.stderr)  # noqa: T201 - a command-line tool
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    inv = load_inventory(args.inventory)
    with inventory_fleet(inv, args.username, password) as fleet:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(args.out, json.dumps(fleet.endpoints(), indent=1) + "\n")
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
