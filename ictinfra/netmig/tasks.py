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


COMMON_HELP = {
    "inventory": "inventory folder (default: inventory/)",
    "lab": "lab endpoints file from net.simulate (default: production management addresses)",
    "credentials_env": "variable holding every device's password (default: inventory refs)",
    "backups": "backup repository (default: state/backups)",
    "workers": "devices at once",
}


@task(
    help={
        **{k: v for k, v in COMMON_HELP.items() if k != "workers"},
        "host": "the replacement device",
        "json": "machine-readable output",
    }
)
def diff(
    c: Context,
    host: str,
    inventory: str | None = None,
    lab: str | None = None,
    credentials_env: str | None = None,
    backups: str | None = None,
    json: bool = False,
) -> None:
    """Remediation and rollback from a replacement's running config to its intended config."""
    import json as jsonlib

    from ictinfra.netmig.backup import config_at
    from ictinfra.netmig.cutover import RECOVERABLE, Settings, _Run
    from ictinfra.netmig.diff import diff as make_diff
    from ictinfra.netmig.masking import mask
    from ictinfra.netmig.session import PERMANENT
    from ictinfra.netmig.translate import translate_device

    inv = _load(inventory)
    dev = inv.devices_by_hostname.get(host)
    if dev is None or dev.replaces is None:
        raise Exit(f"{host}: not a replacement device of the inventory", code=2)
    folder = Path(backups).resolve() if backups else STATE / "backups"
    old = config_at(folder, dev.replaces)
    if old is None:
        raise Exit(f"no backup of {dev.replaces} in {folder}: run net.backup first", code=1)
    translation = translate_device(inv, dev, old)
    if not translation.ok:
        raise Exit(f"{host}: {len(translation.blocking)} unsupported line(s); see net.translate", 1)
    try:
        creds = _credentials(credentials_env)(inv, dev)
        run = _Run(_endpoints(inv, lab)[host], creds, STATE / "diff" / "logs", Settings())
        with run.session() as conn:
            running = run.read_config(conn)
    except (*RECOVERABLE, *PERMANENT) as exc:
        raise Exit(f"{host}: {type(exc).__name__}: {exc}", code=1) from exc
    made = make_diff(dev.platform, running, translation.config)
    # What is printed is for review: config secrets are masked (the push uses the real lines).
    result = made.model_copy(
        update={
            f: tuple(mask(x) for x in getattr(made, f))
            for f in ("remediation", "rollback", "unified")
        }
    )
    if json:
        print(jsonlib.dumps(result.model_dump(), indent=2, ensure_ascii=False))
        return
    print(f"# {host}: remediation ({len(result.remediation)} lines)")
    print("\n".join(result.remediation) or "# nothing to change")
    print(f"# {host}: rollback ({len(result.rollback)} lines)")
    print("\n".join(result.rollback) or "# nothing to undo")


@task(
    help={
        **COMMON_HELP,
        "wave": "the cutover wave",
        "commit": "change the devices (default: dry run)",
        "report": "where the wave report goes (default: build/report)",
        "state": "journal and logs (default: state/cutover)",
    }
)
def cutover(
    c: Context,
    wave: int,
    commit: bool = False,
    inventory: str | None = None,
    lab: str | None = None,
    credentials_env: str | None = None,
    backups: str | None = None,
    report: str | None = None,
    state: str | None = None,
    workers: int = 8,
) -> None:
    """Cut over one wave: checks, push, save, post-checks, automatic rollback; resumable."""
    from rich.progress import Progress

    from ictinfra.netmig.cutover import DeviceReport, Settings, run_wave, write_report
    from ictinfra.netmig.errors import NetmigError

    inv = _load(inventory)
    wave = int(wave)  # invoke passes untyped positional options as text
    count = len(inv.waves().get(wave, ()))
    with Progress(transient=False) as progress:
        bar = progress.add_task(f"wave {wave} ({'commit' if commit else 'dry run'})", total=count)

        def done(result: DeviceReport) -> None:
            progress.update(
                bar, advance=1, description=f"wave {wave}: {result.hostname} {result.outcome}"
            )

        try:
            result = run_wave(
                inv,
                wave,
                _endpoints(inv, lab),
                backups=Path(backups).resolve() if backups else STATE / "backups",
                state=Path(state).resolve() if state else STATE / "cutover",
                commit=commit,
                credentials=_credentials(credentials_env),
                settings=Settings(workers=workers),
                on_done=done,
            )
        except NetmigError as exc:
            raise Exit(str(exc), code=1) from exc
    path = write_report(result, Path(report).resolve() if report else ROOT / "build" / "report")
    for d in result.devices:
        print(f"{d.hostname:<24} {d.outcome.value:<12} {d.final_state:<9} {d.error}")
        for line in d.remediation if not commit else ():
            print(f"    {line}")
    print(f"report: {path} ({path.with_suffix('.html').name})")
    if not result.ok:
        raise Exit(f"wave {wave}: {result.counts()}", code=1)


@task(
    help={
        **COMMON_HELP,
        "wave": "roll back the devices of this wave (to its pre-change backup)",
        "hosts": "or these devices (comma-separated)",
        "ref": "backup commit to return to (default: the wave's pre-change backup)",
        "state": "journal and logs (default: state/cutover)",
    }
)
def rollback(
    c: Context,
    wave: int | None = None,
    hosts: str | None = None,
    ref: str | None = None,
    inventory: str | None = None,
    lab: str | None = None,
    credentials_env: str | None = None,
    backups: str | None = None,
    state: str | None = None,
    workers: int = 8,
) -> None:
    """Put devices back to the backup taken before their change; verify and save."""
    from ictinfra.netmig.cutover import Outcome, Settings, latest_pre_change, rollback_devices

    inv = _load(inventory)
    state_dir = Path(state).resolve() if state else STATE / "cutover"
    if hosts:
        names = hosts.split(",")
    elif wave is not None:
        names = [d.hostname for d in inv.waves().get(int(wave), ())]
        ref = ref or latest_pre_change(state_dir, int(wave))
    else:
        raise Exit("give --wave or --hosts", code=2)
    if not ref:
        raise Exit("no pre-change backup known: give --ref COMMIT (see the backup history)", 2)
    results = rollback_devices(
        inv,
        names,
        _endpoints(inv, lab),
        backups=Path(backups).resolve() if backups else STATE / "backups",
        ref=ref,
        state=state_dir,
        credentials=_credentials(credentials_env),
        settings=Settings(workers=workers),
    )
    for r in results:
        print(f"{r.hostname:<24} {r.outcome.value:<12} {r.final_state:<8} {r.error}")
    if any(r.outcome is Outcome.FAILED for r in results):
        raise Exit("rollback incomplete", code=1)


ns = Collection("net")
for _task in (simulate, backup, translate, diff, cutover, rollback):
    ns.add_task(_task)
