"""Backup and dry-run cutover rates on 200 and 1,000 simulated devices, against baselines.

For each size, in the same run and against the same simulator fleet (its own process):

- ictinfra ``backup`` (parallel, retried, stored in git with per-run diffs);
- Nornir 3 + nornir_netmiko doing the same backup (show the config; nothing stored);
- plain serial netmiko (on a sample: serial on 1,000 devices would take many minutes);
- ictinfra dry-run cutover of every wave (translate, connect, pre-check, diff).

Devices per second are printed, with ictinfra's ratio to each baseline. Loopback only.

    .venv/bin/python bench/netmig_scale.py [--sizes 200 1000] [--workers 32] [--serial-sample 30]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ictinfra.inventory import Inventory, load_inventory  # noqa: E402
from ictinfra.inventory.synthetic import write_synthetic  # noqa: E402
from ictinfra.netmig.backup import backup  # noqa: E402
from ictinfra.netmig.credentials import Credentials  # noqa: E402
from ictinfra.netmig.cutover import Settings, run_wave  # noqa: E402
from ictinfra.netmig.drivers import net_driver  # noqa: E402
from ictinfra.netmig.endpoints import Endpoint  # noqa: E402

USER = "bench"
PASSWORD = "bench-only-not-a-secret"  # noqa: S105 - the simulator's throwaway credential
DEVICES_PER_UNIT = 34  # what one unit of the synthetic inventory holds


def start_fleet(inventory: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ICTINFRA_LAB_PASSWORD": PASSWORD}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ictinfra.netmig.sim", "--inventory", str(inventory),
         "--out", str(out), "--username", USER],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not out.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the simulator fleet did not start")
        time.sleep(0.2)
    return proc


def creds(_inv: Inventory, _dev: object) -> Credentials:
    return Credentials(username=USER, password=SecretStr(PASSWORD))


def bench_ictinfra_backup(
    inv: Inventory, eps: dict[str, Endpoint], folder: Path, workers: int
) -> float:
    start = time.perf_counter()
    run = backup(inv, eps, folder, credentials=creds, workers=workers, retries=2)
    took = time.perf_counter() - start
    if run.failed:
        print(f"  ictinfra backup: {len(run.failed)} failed, e.g. {run.failed[0].error}")
    return len(run.results) / took


def bench_nornir(eps: dict[str, Endpoint], workers: int) -> float:
    # Built in code: Nornir's own inventory plugins read files.
    from nornir.core import Nornir  # noqa: PLC0415 - baseline only
    from nornir.core.inventory import (  # noqa: PLC0415
        ConnectionOptions,
        Defaults,
        Groups,
        Host,
        Hosts,
        Inventory,
    )
    from nornir.core.plugins.connections import ConnectionPluginRegister  # noqa: PLC0415
    from nornir.plugins.runners import ThreadedRunner  # noqa: PLC0415
    from nornir_netmiko.tasks import netmiko_send_command  # noqa: PLC0415

    ConnectionPluginRegister.auto_register()  # what InitNornir does: finds nornir_netmiko
    hosts = Hosts()
    for h, ep in eps.items():
        extras: dict[str, Any] = {"fast_cli": True}
        if net_driver(ep.device_type).send_secret:
            extras["secret"] = PASSWORD
        hosts[h] = Host(
            name=h, hostname=ep.host, port=ep.port, platform=ep.device_type,
            username=USER, password=PASSWORD,
            connection_options={"netmiko": ConnectionOptions(extras=extras)},
        )  # fmt: skip
    nr = Nornir(
        inventory=Inventory(hosts=hosts, groups=Groups(), defaults=Defaults()),
        runner=ThreadedRunner(num_workers=workers),
    )

    def task(t: Any) -> Any:
        drv = net_driver(eps[t.host.name].device_type)
        return t.run(
            task=netmiko_send_command, command_string=drv.show_config, enable=drv.send_secret
        )

    start = time.perf_counter()
    result = nr.run(task=task)
    # Sessions closed politely, as ictinfra's are: the same work on both sides of the ratio.
    nr.close_connections()
    took = time.perf_counter() - start
    # Count only hosts whose config really came back (a failed task is fast, not a win).
    good = sum(1 for r in result.values() if not r.failed and len(str(r[-1].result)) > 100)
    if good != len(eps):
        print(f"  nornir: {len(eps) - good} hosts without a config")
    return len(eps) / took


def bench_serial(eps: dict[str, Endpoint], sample: int) -> float:
    from netmiko import ConnectHandler  # noqa: PLC0415

    chosen = list(eps.values())[:: max(1, len(eps) // sample)][:sample]
    start = time.perf_counter()
    for ep in chosen:
        drv = net_driver(ep.device_type)
        extra = {"secret": PASSWORD} if drv.send_secret else {}
        with ConnectHandler(
            device_type=ep.device_type, host=ep.host, port=ep.port, username=USER,
            password=PASSWORD, fast_cli=True, **extra,
        ) as conn:  # fmt: skip
            if drv.send_secret:
                conn.enable()
            conn.send_command(drv.show_config)
    return len(chosen) / (time.perf_counter() - start)


def bench_dry_run(
    inv: Inventory, eps: dict[str, Endpoint], folder: Path, state: Path, workers: int
) -> tuple[float, dict[str, int]]:
    settings = Settings(workers=workers)
    outcomes: dict[str, int] = {}
    count = 0
    start = time.perf_counter()
    for wave in inv.waves():
        report = run_wave(
            inv,
            wave,
            eps,
            backups=folder,
            state=state,
            commit=False,
            credentials=creds,
            settings=settings,
        )
        for d in report.devices:
            outcomes[d.outcome.value] = outcomes.get(d.outcome.value, 0) + 1
            count += 1
    return count / (time.perf_counter() - start), outcomes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--serial-sample", type=int, default=30)
    args = parser.parse_args()
    for size in args.sizes:
        units = max(1, round(size / DEVICES_PER_UNIT))
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            write_synthetic(work / "inventory", units)
            inv = load_inventory(work / "inventory")
            fleet = start_fleet(work / "inventory", work / "devices.json")
            try:
                raw = json.loads((work / "devices.json").read_text("utf-8"))
                eps = {h: Endpoint(hostname=h, **v) for h, v in raw.items()}
                print(f"== {len(inv.devices)} devices (asked {size}), {args.workers} workers")
                ours = bench_ictinfra_backup(inv, eps, work / "backups", args.workers)
                nornir = bench_nornir(eps, args.workers)
                serial = bench_serial(eps, args.serial_sample)
                dry, outcomes = bench_dry_run(
                    inv, eps, work / "backups", work / "state", args.workers
                )
            finally:
                fleet.terminate()
                fleet.wait(30)
            print(f"  backup  ictinfra            {ours:7.1f} devices/s")
            print(f"  backup  nornir+netmiko      {nornir:7.1f} devices/s  (x{ours / nornir:.2f})")
            print(
                f"  backup  serial netmiko      {serial:7.1f} devices/s  (x{ours / serial:.2f}; "
                f"sample of {args.serial_sample})"
            )
            print(f"  dry-run cutover ictinfra    {dry:7.1f} devices/s  {outcomes}")


if __name__ == "__main__":
    main()
